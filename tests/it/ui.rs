//! End-to-end tests of the web UI in headless Chromium (WebDriver through
//! chromedriver): search as you type, facets, the CoE page, URL round trips,
//! hostile Markdown rendered inert, and a screenshot of every page under
//! `target/ui-screenshots/`.

use crate::util::{Server, examples, root};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::time::Duration;

struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Start chromedriver, or None when the browser is not installed (outside CI).
fn driver() -> Option<Driver> {
    let have = |p: &str| std::path::Path::new(p).exists();
    if !have("/usr/bin/chromium") || !have("/usr/bin/chromedriver") {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium and chromium-driver (.ci/install-browser)");
        eprintln!("skipping UI tests: chromium / chromedriver not installed (run .ci/install-browser)");
        return None;
    }
    let port = free_port();
    let child = std::process::Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn chromedriver");
    let d = Driver { child, port };
    crate::util::wait_for(|| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(), "chromedriver listening");
    Some(d)
}

async fn client(d: &Driver, width: u32, height: u32) -> Client {
    let profile = tempfile::tempdir().expect("profile").keep();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()), format!("--window-size={width},{height}")
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("object literal"),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(caps).connect(&format!("http://127.0.0.1:{}", d.port)).await.expect("webdriver session")
}

async fn wait_js(c: &Client, js: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let v = c.execute(&format!("return Boolean({js});"), vec![]).await.expect("execute");
        if v.as_bool() == Some(true) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what} ({js})");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ready(c: &Client) {
    wait_js(c, "document.querySelector('#status')?.dataset.state === 'ready'", "page ready").await;
}

async fn js_num(c: &Client, js: &str) -> u64 {
    c.execute(&format!("return {js};"), vec![]).await.expect("execute").as_u64().unwrap_or(0)
}

async fn shot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

fn server(dir: &tempfile::TempDir) -> Server {
    let hostile = root().join("tests/fixtures/hostile");
    Server::start(&[examples().to_str().expect("utf8"), hostile.to_str().expect("utf8")], &dir.path().join("idx"), &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn search_facets_coe_page_and_url_round_trip() {
    let Some(d) = driver() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = tokio::task::spawn_blocking(move || {
        let s = server(&dir);
        s.wait_ready();
        (s, dir)
    })
    .await
    .expect("server");
    let base = srv.0.base.clone();
    let c = client(&d, 1280, 900).await;
    c.goto(&format!("{base}/")).await.expect("goto");
    ready(&c).await;
    // "/" focuses the search box; typing searches without pressing Enter.
    c.find(Locator::Css("body")).await.expect("body").send_keys("/").await.expect("slash");
    wait_js(&c, "document.activeElement && document.activeElement.id === 'q'", "/ focuses the search box").await;
    let typed = std::time::Instant::now();
    c.find(Locator::Id("q")).await.expect("#q").send_keys("dynamodb").await.expect("type");
    wait_js(&c, "location.search.includes('q=dynamodb') && document.querySelectorAll('#results li.hit').length > 0", "results as you type")
        .await;
    eprintln!("keystroke to results (150 ms debounce included): {:?}", typed.elapsed());
    ready(&c).await;
    let titles = c
        .execute("return Array.from(document.querySelectorAll('#results li.hit a.hit-title')).map(a => a.textContent)", vec![])
        .await
        .expect("titles");
    assert!(titles.to_string().contains("DynamoDB"), "{titles}");
    assert!(js_num(&c, "document.querySelectorAll('#results li.hit b, #results li.hit mark').length").await > 0, "highlighted snippets");
    shot(&c, "search").await;
    // Click a technology facet: the filter applies, shows as a chip, and lands in the URL.
    let before = js_num(&c, "document.querySelectorAll('#results li.hit').length").await;
    let facet = c.find(Locator::Css(".facet[data-field='technology'] button.facet-value")).await.expect("technology facet");
    let value = facet.attr("data-value").await.expect("attr").expect("data-value");
    facet.click().await.expect("click");
    let in_url = format!("new URLSearchParams(location.search).getAll('technology').includes({value:?})");
    wait_js(&c, &format!("{in_url} && document.querySelectorAll('#chips .chip').length > 0"), "facet applied").await;
    ready(&c).await;
    let after = js_num(&c, "document.querySelectorAll('#results li.hit').length").await;
    assert!(after <= before && after > 0, "{before} -> {after}");
    let url = c.current_url().await.expect("url").to_string();
    shot(&c, "search-filtered").await;
    // The URL holds the whole state: load it fresh.
    c.goto(&url).await.expect("goto");
    ready(&c).await;
    wait_js(
        &c,
        "document.querySelector('#q').value === 'dynamodb' && document.querySelectorAll('#chips .chip').length > 0",
        "state restored from the URL",
    )
    .await;
    assert_eq!(js_num(&c, "document.querySelectorAll('#results li.hit').length").await, after);
    // Open a CoE: timeline, 5 whys, action items, similar.
    c.find(Locator::Css("#results li.hit a.hit-title")).await.expect("hit").click().await.expect("click");
    wait_js(&c, "location.pathname.startsWith('/coe/') && document.querySelector('#coe-title')", "CoE page").await;
    ready(&c).await;
    assert!(js_num(&c, "document.querySelectorAll('#timeline li.tl-entry').length").await >= 3, "timeline renders");
    assert!(js_num(&c, "document.querySelectorAll('#actions-table tr.action').length").await >= 1, "action items render");
    assert!(js_num(&c, "document.querySelectorAll('#doc h2').length").await >= 3, "document renders");
    shot(&c, "coe").await;
    // Back returns to the filtered search.
    c.back().await.expect("back");
    wait_js(&c, &format!("location.pathname === '/' && {in_url}"), "back to search").await;
    for (path, sel, name) in
        [("/actions", "#action-items", "actions"), ("/insights", "#insights svg.chart", "insights"), ("/week", "#week", "week")]
    {
        c.goto(&format!("{base}{path}")).await.expect("goto");
        ready(&c).await;
        wait_js(&c, &format!("document.querySelector(\"{sel}\")"), name).await;
        shot(&c, name).await;
    }
    // Phone width.
    c.set_window_size(390, 844).await.expect("resize");
    c.goto(&format!("{base}/?q=kafka")).await.expect("goto");
    ready(&c).await;
    shot(&c, "search-phone").await;
    c.close().await.expect("close");
    drop(srv);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_markdown_renders_inert() {
    let Some(d) = driver() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = tokio::task::spawn_blocking(move || {
        let s = server(&dir);
        s.wait_ready();
        (s, dir)
    })
    .await
    .expect("server");
    let base = srv.0.base.clone();
    let hit = tokio::task::spawn_blocking({
        let base = base.clone();
        move || {
            let v: serde_json::Value =
                reqwest::blocking::get(format!("{base}/api/v1/search?q=title:xss")).expect("get").json().expect("json");
            v["hits"][0]["id"].as_str().expect("xss doc indexed").to_string()
        }
    })
    .await
    .expect("join");
    let c = client(&d, 1280, 1600).await;
    c.goto(&format!("{base}/coe/{hit}")).await.expect("goto");
    ready(&c).await;
    wait_js(&c, "document.querySelector('#doc') && document.querySelector('#doc').children.length > 0", "document rendered").await;
    let bad = js_num(
        &c,
        "document.querySelectorAll('#doc script, #doc iframe, #doc object, #doc embed, #doc svg, #doc math, #doc [onerror], #doc [onload], #doc [onclick], #doc [onmouseover], #doc [srcdoc], #doc [style]').length",
    )
    .await;
    assert_eq!(bad, 0, "no executable or styled content survives sanitizing");
    let js_links = js_num(
        &c,
        "Array.from(document.querySelectorAll('a[href], [src]')).filter(e => /^\\s*(javascript|data|vbscript):/i.test(e.getAttribute('href') || e.getAttribute('src') || '')).length",
    )
    .await;
    assert_eq!(js_links, 0, "no javascript:/data: URLs");
    assert!(c.get_alert_text().await.is_err(), "no alert dialog was opened");
    let fired = c.execute("return window.__xss_fired === true", vec![]).await.expect("execute");
    assert_eq!(fired.as_bool(), Some(false));
    shot(&c, "xss").await;
    c.close().await.expect("close");
    drop(srv);
}

/// CoEs dated over more than six years are charted per year, one bar a year
/// (per month, hundreds of bars were too thin to read).
#[tokio::test(flavor = "multi_thread")]
async fn insights_chart_a_long_span_per_year() {
    let Some(d) = driver() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let coes = dir.path().join("coes");
    std::fs::create_dir(&coes).expect("mkdir");
    for (date, title) in [("2010-03-01", "Queue stalled"), ("2010-07-15", "Disk filled"), ("2024-05-02", "Cache stampede")] {
        let text = format!("---\ntitle: {title}\ndate: {date}\n---\n\n## Summary\n\nThe {title} incident.\n");
        std::fs::write(coes.join(format!("{date}.md")), text).expect("write");
    }
    let srv = tokio::task::spawn_blocking(move || {
        let s = Server::start(&[coes.to_str().expect("utf8")], &dir.path().join("idx"), &[]);
        s.wait_ready();
        (s, dir)
    })
    .await
    .expect("server");
    let c = client(&d, 1280, 900).await;
    c.goto(&format!("{}/insights", srv.0.base)).await.expect("goto");
    ready(&c).await;
    wait_js(&c, "document.querySelector('#insights svg.chart')", "the chart").await;
    let heading = c.execute("return document.querySelector('#insights .chart-card h2').textContent", vec![]).await.expect("execute");
    assert_eq!(heading.as_str(), Some("CoEs per year"));
    assert_eq!(js_num(&c, "document.querySelectorAll('#insights svg.chart .stack > g').length").await, 15, "2010 to 2024");
    let first =
        c.execute("return document.querySelector('#insights svg.chart .stack > g > title').textContent", vec![]).await.expect("execute");
    assert_eq!(first.as_str(), Some("2010: 2"));
    c.close().await.expect("close");
    drop(srv);
}
