//! A deterministic corpus of synthetic CoEs for benchmarks (`coe gen-corpus N DIR`):
//! original text in the styles of examples/coes (seed template, Google SRE style,
//! blog style), YAML, TOML or no front matter, timelines as lists, tables or one
//! heading per entry, action items as task lists, tables or grouped lists,
//! technologies from the built-in vocabulary, files from 1 to 30 KB in nested
//! team folders. The same seed always gives the same files, whatever the thread count.

use crate::vocab::Vocab;
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Smallest generated file, in bytes.
pub const MIN_SIZE: usize = 1024;
/// Largest generated file, in bytes.
pub const MAX_SIZE: usize = 30 * 1024;

/// SplitMix64: tiny, fast and good enough for synthetic text.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for document `i` of a corpus seeded with `seed`.
    pub fn for_doc(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        let a = r.next_u64();
        Rng(a ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    /// One element.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// A failure scenario: the text fragments one kind of incident is written from.
/// `{name}` placeholders are filled per document (see [`Doc::fill`]).
struct Scenario {
    #[allow(dead_code)]
    mode: &'static str,
    cats: &'static [&'static str],
    titles: &'static [&'static str],
    trigger: &'static [&'static str],
    symptom: &'static [&'static str],
    causes: &'static [&'static str],
    mitigation: &'static [&'static str],
    whys: [&'static str; 5],
    actions: &'static [&'static str],
    events: &'static [&'static str],
    tags: &'static [&'static str],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        mode: "capacity",
        cats: &["database", "cloud-service", "queue"],
        titles: &[
            "{tech} throttling on {svc} caused elevated {err} errors for {min} minutes",
            "Write throttling in {tech} stalled {svc} during a traffic peak",
            "Provisioned capacity ceiling on {tech} made {svc} reject requests",
            "{svc} hit the {tech} request quota and dropped {pct} of traffic",
        ],
        trigger: &[
            "A promotional campaign roughly tripled request volume to {svc} within a few minutes.",
            "A backfill job started by {team2} began writing to the same {tech} table that serves {svc}.",
            "The nightly export overlapped with the regional traffic peak for the first time since its schedule moved.",
            "A large tenant onboarded in {region} and its first bulk import went through {svc}.",
        ],
        symptom: &[
            "{tech} began throttling once consumed capacity reached the configured ceiling, and {svc} returned {err} for about {pct} of requests.",
            "Calls from {svc} queued behind throttled requests to {tech}, and p99 latency climbed from {nn}0 ms to more than {n} seconds.",
            "Throttling errors from {tech} surfaced to customers as failed saves and an outage banner in the app.",
        ],
        causes: &[
            "The capacity ceiling on {tech} was sized for the previous year's peak and no team owned revisiting it.",
            "Client retries without jitter multiplied the load on {tech} while it was already throttling.",
            "Autoscaling reacted on a {n}-minute window, far slower than the traffic ramp.",
            "Capacity reviews before planned events covered compute fleets but not managed {tech} limits.",
        ],
        mitigation: &[
            "The on-call engineer raised the capacity limit on {tech}, and throttling stopped within {n} minutes.",
            "The team paused the backfill job and shed low-priority traffic from {svc} behind a feature flag.",
            "Switching the table to on-demand capacity removed the throttling almost at once.",
        ],
        whys: [
            "Why did customers see errors? Because {svc} returned {err} whenever its calls to {tech} were throttled.",
            "Why were calls throttled? Because demand exceeded the capacity ceiling configured on {tech}.",
            "Why was the ceiling too low? Because it was set when the workload was a third of its current size.",
            "Why was it never raised? Because nothing connected planned traffic events to the limits of managed services.",
            "Why was there no such link? Because the capacity checklist predates the move of {svc} to {tech}.",
        ],
        actions: &[
            "Alarm on throttled requests for every {tech} table used by {svc}",
            "Review {tech} capacity limits before every planned traffic event",
            "Add jittered exponential backoff to the {svc} client",
            "Load test {svc} at twice the expected seasonal peak",
            "Give the backfill job its own {tech} capacity pool",
            "Publish a calendar of campaigns to the owning on-call teams",
        ],
        events: &[
            "Throttled request count on {tech} rises above {big} per minute",
            "Autoscaling raises the limit once, then stops at its configured maximum",
            "Backfill job identified as the largest writer to the throttled table",
            "Request rate to {svc} reaches {n} times the weekday baseline",
        ],
        tags: &["throttling", "capacity", "autoscaling", "rate-limit"],
    },
    Scenario {
        mode: "capacity",
        cats: &["database", "runtime", "language"],
        titles: &[
            "Connection pool exhaustion in {svc} caused failed requests for {min} minutes",
            "{svc} ran out of {tech} connections after a dependency slowed down",
            "Exhausted database connection pool on {svc} blocked order writes",
        ],
        trigger: &[
            "A release of {svc} moved a call to {svc2} inside an open {tech} transaction.",
            "Latency from {svc2} rose from {nn} ms to several seconds after a failover on its side.",
            "A new reporting query on {tech} held row locks for minutes at a time.",
        ],
        symptom: &[
            "Every connection in the pool stayed checked out while requests waited, so new requests timed out after {n} seconds and {svc} answered {err}.",
            "Threads blocked waiting for a connection piled up to {big} per pod, and the connection pool never recovered on its own.",
            "The connection pool of {svc} stayed at its limit of {nn} connections and request latency rose to the client timeout.",
        ],
        causes: &[
            "A connection was held across a remote call, so the connection pool was sized for fast queries but received slow ones.",
            "The connection pool had no acquisition timeout shorter than the request timeout, so waiting requests held threads indefinitely.",
            "There was no alert on connection pool saturation, only on error rate.",
        ],
        mitigation: &[
            "The team rolled back {svc} to {ver}, which released the held connections within minutes.",
            "A feature flag moved the slow call outside the transaction and the connection pool drained.",
            "Engineers restarted the pods in small batches and raised the connection pool size to {nn}.",
        ],
        whys: [
            "Why did requests fail? Because {svc} could not get a database connection before its timeout.",
            "Why were no connections free? Because each one was held while waiting on {svc2}.",
            "Why was a connection held during a remote call? Because a refactor moved the call inside the transaction.",
            "Why did review not catch it? Because the change looked like a rename and the diff hid the transaction boundary.",
            "Why was the impact so large? Because the connection pool was sized for {nn} ms transactions, not {n}-second ones.",
        ],
        actions: &[
            "Alert on connection pool pending threads for {svc}",
            "Move remote calls out of {tech} transactions and add a lint for it",
            "Set a connection acquisition timeout shorter than the request timeout",
            "Load test {svc} with {svc2} latency injected at 2 seconds",
            "Document connection pool sizing in the service template",
        ],
        events: &[
            "Connection pool pending count on {svc} passes {nn}",
            "Thread dumps show request threads waiting in getConnection",
            "Slow calls to {svc2} identified inside the open transaction",
        ],
        tags: &["connection-pool", "latency", "database", "timeouts"],
    },
    Scenario {
        mode: "certificate-expiry",
        cats: &["security", "web-server", "network"],
        titles: &[
            "Expired TLS certificate on {svc} broke client connections for {min} minutes",
            "Certificate renewal failure took down the {svc} endpoint",
            "Expired intermediate certificate caused TLS handshake failures on {svc}",
        ],
        trigger: &[
            "The certificate presented by {svc} expired at {time} UTC after its automated renewal had failed silently for {nn} days.",
            "A certificate bundle pushed with {tech} contained an intermediate certificate that expired the same week.",
            "The renewal job lost its credentials when {team2} migrated the secrets store, so the certificate was never replaced.",
        ],
        symptom: &[
            "Clients failed the TLS handshake with an expired certificate error and every request to {svc} failed.",
            "Mobile apps pinned to the old chain could not connect, while browsers recovered by fetching a newer intermediate.",
            "Load balancer health checks passed because they did not verify the certificate, so traffic kept flowing to failing hosts.",
        ],
        causes: &[
            "Certificate renewal for {svc} ran as a cron job whose failures were logged but never alerted on.",
            "No inventory listed which certificates each service presented, so expiry was not monitored.",
            "The certificate rotation runbook assumed {tech} would reload automatically, which it did not.",
        ],
        mitigation: &[
            "An engineer issued a new certificate by hand and rolled it to the {svc} hosts one zone at a time.",
            "The team reverted to the previous certificate bundle and reloaded {tech} on every host.",
            "Traffic was moved to the secondary endpoint, whose certificate was still valid.",
        ],
        whys: [
            "Why did connections fail? Because the certificate on {svc} had expired.",
            "Why had it expired? Because the renewal job had been failing for {nn} days.",
            "Why did nobody notice? Because the job's failures went to a log nobody read and no probe checked certificate expiry.",
            "Why was there no probe? Because certificate monitoring covered managed certificates only.",
            "Why were self-managed certificates excluded? Because they were considered temporary when {svc} launched.",
        ],
        actions: &[
            "Probe every public endpoint and alert {n} weeks before certificate expiry",
            "Replace the renewal cron job with an agent that reports failures",
            "Build a certificate inventory covering every team",
            "Verify certificates in load balancer health checks",
            "Add certificate reload to the {tech} deploy runbook",
        ],
        events: &[
            "Certificate on {svc} expires; TLS handshakes start failing",
            "First customer ticket reports certificate warnings",
            "Expired certificate confirmed with openssl s_client",
            "Replacement certificate issued and distribution begins",
        ],
        tags: &["certificate", "tls", "expiry", "renewal"],
    },
    Scenario {
        mode: "configuration-change",
        cats: &["config-management", "kubernetes", "cloud"],
        titles: &[
            "Bad configuration push to {svc} caused {err} errors in {region}",
            "Feature flag change disabled {svc} for {pct} of users",
            "{tech} configuration rollout removed the {cfg} setting from {svc}",
        ],
        trigger: &[
            "A configuration change set {cfg} to an empty value for every instance of {svc}.",
            "A feature flag meant for internal users was enabled for all traffic at {time} UTC.",
            "A {tech} template change rendered a default value of 1 for {cfg} where the variable was unset.",
        ],
        symptom: &[
            "Instances of {svc} rejected requests they could not route and returned {err} for {pct} of traffic.",
            "The new configuration reached every region at once because the configuration push skipped the staged rollout.",
            "Health checks kept passing, so the bad configuration stayed live until customers complained.",
        ],
        causes: &[
            "Configuration for {svc} was deployed globally in one step with no canary stage.",
            "The configuration schema allowed an empty value for {cfg}, and validation only ran in production.",
            "The feature flag tool did not show which audience a flag targeted before saving.",
        ],
        mitigation: &[
            "The team reverted the configuration change, and error rates returned to baseline {n} minutes later.",
            "The feature flag was switched off and the cached configuration flushed from every instance.",
            "An engineer pinned the previous configuration version in {tech} and re-synced all namespaces.",
        ],
        whys: [
            "Why did requests fail? Because {svc} received an invalid value for {cfg}.",
            "Why was the value invalid? Because the template fell back to a default when a variable was unset.",
            "Why did it reach production? Because configuration changes have no canary stage, unlike code.",
            "Why is there no canary for configuration? Because configuration was assumed to be low risk.",
            "Why was that assumption never challenged? Because previous configuration incidents were not linked to each other.",
        ],
        actions: &[
            "Roll out configuration for {svc} in stages with automatic rollback",
            "Reject empty values for {cfg} in the configuration schema",
            "Render configuration templates in CI and diff them against production",
            "Show the targeted audience in the feature flag confirmation dialog",
            "Alert on configuration version drift between regions",
        ],
        events: &[
            "Configuration change merged and synced to all clusters",
            "Configuration diff shows {cfg} removed from the rendered output",
            "Configuration push paused for all teams during the incident",
        ],
        tags: &["configuration", "feature-flag", "rollout", "config-change"],
    },
    Scenario {
        mode: "deployment",
        cats: &["ci-cd", "kubernetes", "container"],
        titles: &[
            "Faulty {svc} release {ver} caused a {min}-minute outage",
            "Deployment of {svc} skipped the canary and broke checkout",
            "Rollback of {svc} failed after a schema migration",
        ],
        trigger: &[
            "Release {ver} of {svc} was deployed through {tech} to all regions within ten minutes.",
            "The deploy pipeline promoted {svc} {ver} past the canary stage because the canary metrics query returned no data.",
            "A database migration shipped with {svc} {ver} dropped a column the previous version still read.",
        ],
        symptom: &[
            "New pods of {svc} crashed on start with a missing configuration key, and the rollout replaced healthy pods anyway.",
            "Error rates on {svc} rose to {pct} and the deployment kept going because its health check only tested the process port.",
            "When the team tried to roll back, the old version failed against the migrated schema.",
        ],
        causes: &[
            "The canary analysis treated missing metrics as a pass.",
            "The migration was not backward compatible, so rollback was impossible without a restore.",
            "Readiness probes for {svc} did not exercise any dependency.",
        ],
        mitigation: &[
            "The team rolled back to {ver} and the error rate recovered within {n} minutes.",
            "Engineers restored the dropped column from a snapshot and redeployed the previous version.",
            "The deployment was paused and the failing pods drained while a hotfix was built.",
        ],
        whys: [
            "Why did {svc} fail? Because the new release could not read its configuration.",
            "Why did the release reach all regions? Because the canary stage passed with no data.",
            "Why was missing data a pass? Because the analysis template defaulted to success on an empty query.",
            "Why was the query empty? Because the metric name changed in the same release.",
            "Why was the rename not flagged? Because metric names are not part of the service contract.",
        ],
        actions: &[
            "Fail canary analysis when metrics are missing",
            "Require backward-compatible migrations and test rollback in staging",
            "Make {svc} readiness probes check critical dependencies",
            "Limit {tech} rollouts to one region per hour",
            "Add a deploy freeze flag the on-call can set in one step",
        ],
        events: &[
            "Deploy pipeline promotes {svc} {ver} to production",
            "Canary stage reports success with no samples",
            "Rollback started; old pods fail readiness against the new schema",
        ],
        tags: &["deployment", "canary", "rollback", "release"],
    },
    Scenario {
        mode: "dependency-failure",
        cats: &["queue", "saas", "network"],
        titles: &[
            "Retry storm against {svc2} took down {svc} for {min} minutes",
            "Slow {svc2} responses cascaded into a {svc} outage",
            "{svc} timeouts to {tech} caused a cascading failure",
        ],
        trigger: &[
            "{svc2} slowed down after a routine failover and its p99 latency reached {n} seconds.",
            "A partial outage at a downstream provider made {n} out of {nn} calls from {svc} time out.",
            "A queue consumer for {tech} fell behind and producers began to block.",
        ],
        symptom: &[
            "Clients of {svc2} retried immediately, multiplying traffic by {n} and turning a brownout into a full outage.",
            "{svc} exhausted its worker threads waiting on {svc2}, and its own callers started timing out in turn.",
            "The retry storm kept {svc2} overloaded even after the original fault was gone.",
        ],
        causes: &[
            "Retries in {svc} had no budget and no jitter, so they synchronized into waves.",
            "There was no circuit breaker between {svc} and {svc2}.",
            "Timeouts were longer upstream than downstream, so callers held resources after their own clients gave up.",
        ],
        mitigation: &[
            "The team enabled load shedding on {svc2} and the retry storm subsided.",
            "A circuit breaker was forced open, {svc} served cached responses, and {svc2} recovered.",
            "Engineers cut the retry count to one through a configuration change and the queue drained.",
        ],
        whys: [
            "Why did {svc} fail? Because all its workers were waiting on {svc2}.",
            "Why were they waiting so long? Because {svc2} was overloaded by retries.",
            "Why were there so many retries? Because every layer retried three times with no jitter.",
            "Why was retry behavior unbounded? Because no retry budget existed in the shared client library.",
            "Why was the library never changed? Because its defaults were set before the call graph grew this deep.",
        ],
        actions: &[
            "Add retry budgets and jitter to the shared HTTP client",
            "Put a circuit breaker between {svc} and {svc2}",
            "Align timeouts so upstream deadlines are shorter than downstream ones",
            "Serve cached responses from {svc} when {svc2} is degraded",
            "Chaos test the {svc2} dependency each quarter",
        ],
        events: &[
            "Retry rate to {svc2} reaches {n} times normal",
            "Circuit breaker forced open on {svc}",
            "Queue depth on {tech} passes {big} messages",
        ],
        tags: &["retry-storm", "cascading-failure", "timeouts", "dependency"],
    },
    Scenario {
        mode: "dns",
        cats: &["network", "cloud-service"],
        titles: &[
            "DNS record change sent {svc} traffic to a retired load balancer",
            "DNS resolution failures in {region} broke {svc} for {min} minutes",
            "Expired DNS delegation made {svc} unreachable",
        ],
        trigger: &[
            "A DNS change replaced the record for {svc} with the address of a load balancer retired the previous week.",
            "Resolvers in {region} began returning SERVFAIL for internal names after an upgrade.",
            "A bulk DNS import overwrote weighted records with a single record pointing at the standby.",
        ],
        symptom: &[
            "Clients cached the bad answer for the record's TTL of {nn} minutes, so recovery lagged the fix.",
            "Service discovery lookups failed and {svc} could not reach {svc2}.",
            "Traffic shifted entirely to one zone, which then ran hot.",
        ],
        causes: &[
            "DNS changes were applied by hand without a review or a diff of the zone.",
            "The TTL on critical records was long, so a bad DNS answer lingered in caches.",
            "No synthetic check resolved the public names of {svc} from outside the network.",
        ],
        mitigation: &[
            "The DNS record was restored from the zone history, and traffic returned as caches expired.",
            "The team pointed resolvers at a secondary DNS provider.",
            "Engineers lowered the TTL and re-published the weighted records.",
        ],
        whys: [
            "Why was {svc} unreachable? Because its DNS record pointed at a retired load balancer.",
            "Why did the record change? Because a cleanup script matched the wrong record name.",
            "Why did the script run unreviewed? Because DNS changes were outside the infrastructure code.",
            "Why did recovery take so long? Because resolvers cached the answer for the full TTL.",
            "Why was the TTL so long? Because it was never tuned after the service moved to weighted routing.",
        ],
        actions: &[
            "Manage every DNS zone as code with reviewed changes",
            "Lower the TTL of {svc} records to 60 seconds",
            "Add external DNS resolution probes for public names",
            "Protect weighted records from bulk imports",
        ],
        events: &[
            "DNS change applied to the {svc} zone",
            "External probes report NXDOMAIN for the {svc} name",
            "DNS record restored; cached answers expire over the next {nn} minutes",
        ],
        tags: &["dns", "ttl", "routing"],
    },
    Scenario {
        mode: "network",
        cats: &["network", "cloud"],
        titles: &[
            "Network partition between availability zones caused {svc} leader churn",
            "Packet loss on a transit link degraded {svc} in {region}",
            "BGP route leak blackholed traffic to {svc}",
        ],
        trigger: &[
            "A fiber cut between two availability zones in {region} caused {pct} packet loss for {min} minutes.",
            "An upstream provider accepted a leaked route and re-advertised a more-specific prefix covering {svc}.",
            "A top-of-rack switch firmware upgrade dropped one uplink per rack.",
        ],
        symptom: &[
            "Nodes of {tech} on either side of the partition elected new leaders repeatedly and writes stalled.",
            "Traffic entering through the affected provider was dropped, about {pct} of all requests.",
            "Cross-zone calls from {svc} timed out and retries amplified the load on the healthy zone.",
        ],
        causes: &[
            "The cluster did not tolerate a partial partition where some members could still reach each other.",
            "Route origin validation was not enforced upstream, and the prefix's maximum length allowed the leak.",
            "The network change window overlapped with peak traffic.",
        ],
        mitigation: &[
            "The team drained the affected zone and pinned leadership to the healthy zones.",
            "Engineers announced matching more-specific prefixes to win the traffic back and asked the provider to filter the leak.",
            "The uplink was restored by rolling back the switch firmware.",
        ],
        whys: [
            "Why did writes stall? Because {tech} kept electing new leaders.",
            "Why did elections repeat? Because members saw different views of the network.",
            "Why was the partition partial? Because only some routes between the zones failed.",
            "Why was the cluster sensitive to it? Because pre-vote and check-quorum were disabled.",
            "Why were they disabled? Because the cluster was created with defaults from an older version.",
        ],
        actions: &[
            "Enable pre-vote and check-quorum on every {tech} cluster",
            "Practice zone drains each quarter",
            "Tighten route origin authorizations for our prefixes",
            "Move network changes out of peak traffic hours",
        ],
        events: &[
            "Packet loss between zones reaches {pct}",
            "Leader elections on {tech} exceed {nn} per minute",
            "Affected zone drained; leadership pinned to healthy zones",
        ],
        tags: &["network", "partition", "packet-loss", "bgp"],
    },
    Scenario {
        mode: "hardware",
        cats: &["storage", "os", "database"],
        titles: &[
            "Disk failure on the {tech} primary blocked {svc} writes",
            "NVMe controller fault caused data corruption alarms on {svc}",
            "Kernel panic across {nn} hosts took {svc} offline",
        ],
        trigger: &[
            "The NVMe drive holding the data directory of the {tech} primary for {svc} began returning I/O errors.",
            "A batch of hosts rebooted after a kernel panic triggered by a driver bug in the storage path.",
            "A power supply failure in one rack took down the hosts running {svc}.",
        ],
        symptom: &[
            "Writes to {tech} hung, the replication stream stopped, and {svc} returned {err} for writes.",
            "Automatic failover did not trigger because the primary still answered health checks.",
            "About {big} requests failed before traffic moved away from the affected hosts.",
        ],
        causes: &[
            "Health checks tested connectivity, not the ability to write to disk.",
            "Failover required a manual step that the runbook described for a previous cluster layout.",
            "All replicas of {svc} shared one rack because placement constraints were missing.",
        ],
        mitigation: &[
            "The team promoted a replica to primary and repointed {svc} at it.",
            "Engineers fenced the failed host and restored service from the standby.",
            "The affected hosts were cordoned and workloads rescheduled onto healthy hardware.",
        ],
        whys: [
            "Why did writes fail? Because the primary's disk stopped responding.",
            "Why did failover not happen? Because the health check only opened a connection.",
            "Why was the check so shallow? Because deeper checks caused false failovers in the past.",
            "Why were those false failovers not fixed differently? Because the team lacked time to tune the thresholds.",
            "Why was time lacking? Because the database platform had one owner for {nn} clusters.",
        ],
        actions: &[
            "Add a write probe to the {tech} health check",
            "Automate replica promotion for {svc}",
            "Spread replicas across racks with placement constraints",
            "Replace drives from the affected batch",
        ],
        events: &[
            "First I/O errors logged on the primary's NVMe device",
            "Replication lag on the replicas passes {nn} seconds",
            "Replica promoted; {svc} repointed at the new primary",
        ],
        tags: &["hardware", "disk", "failover", "nvme"],
    },
    Scenario {
        mode: "data-loss",
        cats: &["database", "storage", "data"],
        titles: &[
            "Cleanup job deleted {big} rows from {tbl} in {svc}",
            "Failed backup restore lost {n} hours of {svc} data",
            "Reindex in {tech} dropped documents from {svc}",
        ],
        trigger: &[
            "A cleanup job meant for the staging copy of {tbl} ran against production.",
            "A reindex into a new {tech} index swapped the alias before the copy had finished.",
            "An expired retention policy removed snapshots the team believed were kept for a year.",
        ],
        symptom: &[
            "Customers saw missing records in {svc}, and support received {nn}0 tickets within an hour.",
            "The backup restore failed halfway because the newest snapshot was incomplete.",
            "Search results omitted about {pct} of the catalog until the index was rebuilt.",
        ],
        causes: &[
            "Production and staging credentials for {tech} were stored in the same place and looked alike.",
            "Backups were taken but never test-restored.",
            "The alias swap did not check document counts before switching.",
        ],
        mitigation: &[
            "The team restored {tbl} from a point-in-time backup and replayed the change log.",
            "Engineers rebuilt the index from the source of truth and swapped the alias back.",
            "Deleted rows were recovered from a replica with delayed replication.",
        ],
        whys: [
            "Why was data missing? Because the cleanup job deleted rows from production.",
            "Why did it run against production? Because the target was chosen by an environment variable that defaulted to production.",
            "Why did the default point there? Because the job was first written for production use.",
            "Why was the restore slow? Because the backup had never been test-restored and its format had changed.",
            "Why was it never tested? Because restore drills were not scheduled for {svc}.",
        ],
        actions: &[
            "Require an explicit environment for destructive jobs",
            "Run monthly restore drills for {svc} backups",
            "Check document counts before swapping {tech} aliases",
            "Keep a delayed replica for {tbl}",
        ],
        events: &["Cleanup job starts against the production {tbl}", "Row count of {tbl} drops by {big}", "Point-in-time restore started"],
        tags: &["data-loss", "backup", "restore", "deletion"],
    },
    Scenario {
        mode: "credential-leak",
        cats: &["security", "vcs", "ci-cd"],
        titles: &[
            "Access key leaked in a CI log was used from an unknown address",
            "Secret committed to a public repository exposed {svc} credentials",
            "Over-privileged token for {svc} was found in a build artifact",
        ],
        trigger: &[
            "A debug flag in a {tech} job printed environment variables, including a cloud access key, into a build log.",
            "An engineer pushed a configuration file with a live token for {svc} to a public mirror.",
            "A build artifact uploaded to a shared bucket contained a token with write access.",
        ],
        symptom: &[
            "The key was used from an address outside the company {nn} minutes after the log became visible.",
            "Automated scanning at the hosting provider flagged the secret and notified the security team.",
            "Unusual API calls listing storage buckets appeared in the audit log.",
        ],
        causes: &[
            "Build logs were readable by every account in the organization.",
            "Long-lived keys were used where short-lived credentials were available.",
            "Secret scanning ran on the default branch only, not on mirrors.",
        ],
        mitigation: &[
            "The security team revoked the key, rotated dependent secrets and reviewed the audit log.",
            "The token was revoked and the repository history rewritten.",
            "Engineers removed the artifact, rotated the token and narrowed its permissions.",
        ],
        whys: [
            "Why was the key exposed? Because the build printed environment variables.",
            "Why did it print them? Because a debug flag was left on in a shared template.",
            "Why did the key exist at all? Because the job used a long-lived key instead of federated credentials.",
            "Why was that allowed? Because the migration to short-lived credentials was not finished.",
            "Why was it not finished? Because it had no owner after a reorganization.",
        ],
        actions: &[
            "Mask secrets in all {tech} logs",
            "Replace long-lived keys with short-lived credentials",
            "Run secret scanning on every branch and mirror",
            "Restrict build log access to the owning team",
        ],
        events: &[
            "Build log containing the key becomes visible",
            "Key used from an unknown address",
            "Key revoked and dependent secrets rotated",
        ],
        tags: &["credential-leak", "security", "secrets", "rotation"],
    },
    Scenario {
        mode: "time",
        cats: &["os", "protocol", "security"],
        titles: &[
            "Clock skew on {svc} hosts caused token validation failures",
            "Leap-day date handling bug broke {svc} signing keys",
            "Time zone change made {svc} schedule jobs an hour early",
        ],
        trigger: &[
            "The time daemon on a group of {svc} hosts lost its upstream servers and drifted by {nn} seconds.",
            "Key rotation computed the next expiry by adding one year to February 29.",
            "A daylight saving change was applied to the scheduler in local time instead of UTC.",
        ],
        symptom: &[
            "Signed requests from {svc} were rejected as expired or not yet valid.",
            "Tokens issued by {svc} failed validation for about {pct} of users.",
            "Scheduled jobs ran twice and customers received duplicate notifications.",
        ],
        causes: &[
            "Clock drift was not monitored on hosts outside the main fleet.",
            "Date arithmetic was hand-written instead of using the standard library.",
            "The scheduler stored local times without the zone.",
        ],
        mitigation: &[
            "Engineers re-synchronized the clocks and restarted the affected services.",
            "A new signing key was issued manually and published.",
            "The scheduler was pinned to UTC and the duplicate jobs cancelled.",
        ],
        whys: [
            "Why were requests rejected? Because timestamps from {svc} were outside the accepted window.",
            "Why were timestamps wrong? Because host clocks had drifted.",
            "Why did they drift? Because the time daemon could not reach its servers after a firewall change.",
            "Why was this not detected? Because clock offset was not part of host monitoring.",
            "Why not? Because the base image for these hosts predates the monitoring standard.",
        ],
        actions: &[
            "Alert when clock offset exceeds 100 ms on any host",
            "Test date handling with leap days and zone changes",
            "Store schedule times in UTC only",
            "Allow time servers through the new firewall rules",
        ],
        events: &["Clock offset on {svc} hosts passes {nn} seconds", "Token validation failures begin", "Clocks re-synchronized"],
        tags: &["clock-skew", "ntp", "time", "leap-day"],
    },
    Scenario {
        mode: "software-bug",
        cats: &["language", "database", "runtime"],
        titles: &[
            "Integer overflow in {tbl} primary key halted {svc} writes",
            "Race condition in {svc} cache invalidation served stale prices",
            "Null pointer in {svc} {ver} crashed workers on a rare input",
        ],
        trigger: &[
            "The sequence behind {tbl}.id reached the largest value a 32-bit integer can hold.",
            "Two writers updated the same cache key in {svc} and the slower one won.",
            "A customer record with an empty address field reached a code path added in {ver}.",
        ],
        symptom: &[
            "Every insert into {tbl} failed, so {svc} could not accept new orders.",
            "Customers saw prices up to {nn} minutes old, and {big} orders were placed at outdated prices.",
            "Workers of {svc} crashed in a loop, and the queue backed up to {big} messages.",
        ],
        causes: &[
            "The column was created with a 32-bit type years ago and never migrated.",
            "Cache writes were not versioned, so a late write could overwrite a newer value.",
            "Input validation allowed empty fields that the new code did not expect.",
        ],
        mitigation: &[
            "The team restarted the sequence at a negative value to buy time for a migration.",
            "Engineers disabled the cache for prices and served them from {tech} directly.",
            "A hotfix skipped the bad record and the workers drained the queue.",
        ],
        whys: [
            "Why did writes fail? Because the primary key could not grow any further.",
            "Why was the key 32 bits? Because the table was created with a small integer type.",
            "Why was it not migrated? Because the migration was judged too disruptive.",
            "Why was nothing alerting? Because sequence usage was not monitored.",
            "Why not? Because nobody owned schema health across teams.",
        ],
        actions: &[
            "Migrate {tbl}.id to a 64-bit integer",
            "Alert when any sequence passes 70% of its range",
            "Version cache writes in {svc}",
            "Fuzz test {svc} input handling",
        ],
        events: &["First insert failures on {tbl}", "Workers enter a crash loop", "Hotfix deployed; error rate falls"],
        tags: &["software-bug", "overflow", "race-condition", "schema"],
    },
    Scenario {
        mode: "human-error",
        cats: &["config-management", "kubernetes", "database"],
        titles: &[
            "Command run against the wrong {tech} cluster removed {svc} workloads",
            "Manual failover of {svc} during maintenance caused a {min}-minute outage",
            "Runbook step applied to production instead of staging broke {svc}",
        ],
        trigger: &[
            "During maintenance an operator ran a delete command while the shell context still pointed at production.",
            "A runbook step written for the old {tech} layout was followed literally.",
            "A manual failover was started before the replica had caught up.",
        ],
        symptom: &[
            "All pods of {svc} in one cluster were removed, and traffic shifted to the remaining region.",
            "About {pct} of writes during the window were rejected.",
            "The remaining region ran at {pct} CPU until the workloads were restored.",
        ],
        causes: &[
            "Shell context for production looked identical to staging.",
            "The runbook was not updated after the migration.",
            "Destructive commands required no confirmation.",
        ],
        mitigation: &[
            "The team re-applied the manifests from the deploy repository.",
            "Engineers failed back to the original primary once it caught up.",
            "Workloads were restored from the GitOps state and traffic rebalanced.",
        ],
        whys: [
            "Why were workloads removed? Because a delete ran against production.",
            "Why against production? Because the shell context was still set to it.",
            "Why was that not obvious? Because the prompt did not show the context.",
            "Why was a manual delete needed? Because the cleanup was not automated.",
            "Why was it not automated? Because it was considered a one-off task.",
        ],
        actions: &[
            "Show the cluster context in every operator prompt",
            "Require confirmation for destructive commands in production",
            "Update the {tech} runbook for the new layout",
            "Automate the maintenance cleanup",
        ],
        events: &[
            "Delete command runs against the production cluster",
            "Pods of {svc} terminated in one region",
            "Manifests re-applied from the deploy repository",
        ],
        tags: &["human-error", "runbook", "maintenance"],
    },
    Scenario {
        mode: "capacity",
        cats: &["cache", "kubernetes", "observability", "queue"],
        titles: &[
            "{tech} ran out of memory and evicted active {svc} data",
            "Disk full on {tech} brokers halted {svc}",
            "High-cardinality metrics caused an OOM loop in {tech}",
        ],
        trigger: &[
            "A release started storing a {nn} KB blob in every entry, and memory grew for days.",
            "A new producer wrote {n} times the estimated volume to a topic with time-based retention only.",
            "A label with one value per request was added to a metric scraped from every pod.",
        ],
        symptom: &[
            "{tech} reached its memory limit and began evicting entries that were still in use.",
            "Disks on every broker filled within minutes of each other and brokers shut down.",
            "The process was OOMKilled, restarted, replayed its write-ahead log and was killed again.",
        ],
        causes: &[
            "There was no alert on the growth rate of memory, only on the percentage used.",
            "Retention was configured by time only, with no size limit.",
            "Nothing limited the number of series or entries per client.",
        ],
        mitigation: &[
            "The team turned off the feature that stored the large entries and cleaned up existing ones.",
            "Engineers deleted the new topic's oldest segments and added a size-based retention limit.",
            "A relabel rule dropped the offending label and the memory limit was raised.",
        ],
        whys: [
            "Why did {svc} fail? Because {tech} ran out of memory.",
            "Why did it run out? Because each entry grew by a factor of ten.",
            "Why did entries grow? Because a condition meant for a few users applied to all of them.",
            "Why was growth not caught? Because alerts fired only at 90% usage, too late to act.",
            "Why were alerts set that way? Because growth-rate alerts were never part of the standard dashboard.",
        ],
        actions: &[
            "Alert on memory growth rate and predicted time to full",
            "Set size-based retention on every topic",
            "Limit series per target in {tech}",
            "Publish entry size as a metric for {svc}",
        ],
        events: &[
            "Memory on {tech} reaches its configured limit",
            "Evictions rise to {big} per second",
            "Offending feature turned off; memory falls",
        ],
        tags: &["memory", "disk-full", "eviction", "resource-exhaustion"],
    },
    Scenario {
        mode: "third-party",
        cats: &["saas", "cloud-service"],
        titles: &[
            "Outage at the {tech} provider degraded {svc} for {min} minutes",
            "Payment processor incident caused failed {svc} transactions",
            "Third-party {tech} API rate limit change broke {svc}",
        ],
        trigger: &[
            "The {tech} provider had a regional outage that lasted {min} minutes.",
            "A vendor lowered its API rate limit without notice, and {svc} began receiving 429 responses.",
            "The provider's status page reported degraded performance in {region}.",
        ],
        symptom: &[
            "About {pct} of calls from {svc} to the provider failed or timed out.",
            "{svc} had no fallback and surfaced the vendor's errors to customers.",
            "Retries against the provider made the rate limiting worse.",
        ],
        causes: &[
            "{svc} depended on a single provider with no fallback path.",
            "Vendor limits were not monitored, so the change went unnoticed until errors rose.",
            "The contract had no notification clause for limit changes.",
        ],
        mitigation: &[
            "The team switched {svc} to the secondary provider.",
            "Engineers reduced the call rate with a queue and retried later.",
            "Non-essential calls to the vendor were disabled until the provider recovered.",
        ],
        whys: [
            "Why did {svc} fail? Because its provider returned errors.",
            "Why did that reach customers? Because there was no fallback.",
            "Why was there no fallback? Because a second provider was deemed too costly.",
            "Why was the risk accepted? Because the provider had never had a long outage before.",
            "Why was that reasoning not revisited? Because vendor reviews happen only at contract renewal.",
        ],
        actions: &[
            "Add a secondary provider for {svc}",
            "Monitor vendor rate limits and response codes",
            "Queue non-urgent vendor calls",
            "Review vendor dependencies every quarter",
        ],
        events: &[
            "Provider errors on calls from {svc} exceed {pct}",
            "Provider status page confirms an incident",
            "Traffic switched to the secondary provider",
        ],
        tags: &["third-party", "vendor", "provider-outage"],
    },
];

const TEAMS: &[(&str, &str, [&str; 5])] = &[
    ("commerce", "payments", ["payment-intents", "ledger-service", "refunds-api", "payouts-worker", "card-vault"]),
    ("commerce", "checkout", ["checkout-api", "cart-service", "order-service", "tax-quote", "promo-engine"]),
    ("commerce", "catalog", ["catalog-api", "pricing-service", "image-resizer", "product-feed", "availability-service"]),
    ("commerce", "fulfillment", ["warehouse-api", "shipping-quotes", "label-printer", "inventory-sync", "carrier-gateway"]),
    ("commerce", "billing", ["invoice-generator", "subscription-service", "usage-meter", "dunning-worker", "tax-reporting"]),
    ("platform", "platform-infra", ["service-mesh", "config-server", "build-runners", "secrets-broker", "cluster-autoscaler"]),
    ("platform", "edge-networking", ["edge-proxy", "cdn-origin", "dns-resolver", "waf-gateway", "lb-controller"]),
    ("platform", "observability", ["metrics-gateway", "log-shipper", "alert-router", "trace-collector", "status-page"]),
    ("platform", "storage", ["object-store", "block-volumes", "backup-orchestrator", "snapshot-service", "blob-gc"]),
    ("platform", "security-eng", ["audit-log", "key-management", "access-proxy", "scanner-service", "vault-operator"]),
    ("platform", "developer-productivity", ["ci-orchestrator", "artifact-cache", "code-review-bot", "deploy-pipeline", "test-sharder"]),
    ("data", "data-platform", ["event-ingest", "stream-router", "warehouse-loader", "order-history-sink", "metrics-rollup"]),
    ("data", "search", ["search-api", "query-router", "indexer-pipeline", "autocomplete", "ranking-service"]),
    ("data", "ml-platform", ["feature-store", "model-serving", "training-scheduler", "embedding-service", "recommendation-api"]),
    ("consumer", "identity", ["session-service", "login-api", "token-issuer", "mfa-service", "account-profile"]),
    ("consumer", "mobile", ["mobile-bff", "push-gateway", "app-config", "feature-flags", "device-registry"]),
    ("consumer", "notifications", ["email-sender", "sms-gateway", "notification-hub", "template-renderer", "webhook-dispatcher"]),
    ("consumer", "growth", ["referral-service", "experiment-api", "campaign-scheduler", "loyalty-points", "landing-pages"]),
    ("consumer", "support-tools", ["ticket-router", "chat-gateway", "agent-console", "refund-desk", "knowledge-base"]),
    ("finance", "finance-systems", ["reconciliation-job", "gl-export", "fx-rates", "payout-ledger", "settlement-batch"]),
];

const POPULAR: &[&str] = &[
    "Kubernetes",
    "PostgreSQL",
    "MySQL",
    "Redis",
    "DynamoDB",
    "Kafka",
    "Amazon S3",
    "AWS Lambda",
    "Elasticsearch",
    "Nginx",
    "Envoy",
    "Terraform",
    "Ansible",
    "Docker",
    "Jenkins",
    "GitHub Actions",
    "RabbitMQ",
    "Memcached",
    "Cassandra",
    "MongoDB",
    "CloudFront",
    "Route 53",
    "Istio",
    "etcd",
    "HAProxy",
    "HashiCorp Vault",
    "Linux",
    "Amazon EC2",
    "Consul",
    "Argo CD",
    "Helm",
    "gRPC",
    "BGP",
    "TLS",
    "NTP",
    "Apache Spark",
    "Apache Airflow",
    "Snowflake",
    "BigQuery",
    "Amazon RDS",
    "Google Cloud",
    "Microsoft Azure",
];
const MONITORS: &[&str] = &["Datadog", "Prometheus", "Grafana", "Amazon CloudWatch", "New Relic", "Sentry", "Honeycomb", "Splunk"];
const PAGERS: &[&str] = &["PagerDuty", "Opsgenie"];
const LANGS: &[&str] = &["Java", "Python", "Go", "Node.js", "Rust", "Ruby", "Kotlin", "Scala"];
const COMPANIES: &[&str] = &["Harbor Lane", "Quillfeather", "Bluefin Retail", "Ostrava Labs", "Copperleaf", "Meridian Post"];
const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"];
const ERRS: &[&str] = &["HTTP 503", "HTTP 500", "HTTP 502", "HTTP 504", "HTTP 429"];
const CFGS: &[&str] = &[
    "max_connections",
    "retry.max_attempts",
    "pool.max_size",
    "upstream_timeout_ms",
    "replicas",
    "maxmemory",
    "cache.ttl_seconds",
    "circuit_breaker.threshold",
    "worker_concurrency",
    "max_ejection_percent",
    "batch_size",
    "keepalive_timeout",
];
const TABLES: &[&str] = &[
    "order_line_items",
    "payment_events",
    "sessions",
    "invoices",
    "shipments",
    "price_history",
    "user_devices",
    "ledger_entries",
    "search_documents",
    "audit_records",
];
const METRIC_SUFFIXES: &[&str] = &[
    "request_duration_seconds",
    "errors_total",
    "queue_depth",
    "pool_pending_threads",
    "cpu_utilization",
    "memory_bytes",
    "retries_total",
    "saturation_ratio",
];
const ERRMSGS: &[&str] = &[
    "context deadline exceeded",
    "connection reset by peer",
    "too many connections",
    "upstream request timeout",
    "no healthy upstream",
    "certificate has expired",
    "read: connection refused",
    "resource temporarily unavailable",
    "ProvisionedThroughputExceededException",
    "OutOfMemoryError: Java heap space",
];
const ROLES: &[&str] = &[
    "the on-call engineer",
    "an incident commander from {team2}",
    "a database reliability engineer",
    "the {team} engineering manager",
    "a site reliability engineer",
    "the secondary on-call",
    "a support lead",
];

/// Generic sentences for investigation notes, impact and lessons.
const NARRATIVE: &[&str] = &[
    "Engineers compared the `{metric}` graph for {svc} with the same hour of the previous week and saw no change before {time} UTC.",
    "Logs from `{host}` showed repeated `{errmsg}` entries, about {big} per minute at the peak.",
    "The first theory was a bad deploy, but no change had shipped to {svc} in the previous {nn} hours.",
    "A responder from {team2} joined the incident channel and confirmed that {svc2} was healthy from its side.",
    "Dashboards for {tech} showed normal latency on average, which hid a long tail on {n} of the {nn} shards.",
    "The incident commander asked for hourly customer updates, and support posted them on the status page.",
    "Traces collected by {mon} showed most of the time spent waiting on {tech}, not in application code.",
    "Because the runbook for {svc} was last edited {n} years earlier, several of its commands referred to hosts that no longer existed.",
    "The team considered failing over to {region}, but rejected it because the standby had not been tested under full load.",
    "A search of earlier CoEs found {n} incidents with a similar pattern, none of which had completed action items.",
    "Error budgets for {svc} were already {pct} spent for the quarter before this outage began.",
    "The alert that eventually paged had been muted for {nn} minutes during an unrelated maintenance window.",
    "Several responders tried changes at the same time, which made it hard to tell which one helped.",
    "Load on {svc2} dropped as soon as clients backed off, which confirmed that the retries were the amplifier.",
    "No customer data was lost, but {big} requests had to be retried by clients.",
    "A synthetic check for {svc} existed but ran only every {nn} minutes, too slowly to catch the start of the outage.",
    "During the review, the team noted that the same dashboard had two panels with different definitions of the error rate.",
    "Capacity planning for {svc} assumed a growth rate of {pct} a year, while actual growth was closer to twice that.",
    "The decision to roll back was delayed because the previous version had a known bug in the export path.",
    "Staging did not reproduce the problem because it ran with {n} replicas instead of {nn}.",
    "Once the fix was applied, the backlog of {big} queued jobs took another {min} minutes to drain.",
    "Monitoring showed {metric} rising steadily for {n} days before the outage, but no alert used the trend.",
    "Customer support tagged {nn}0 tickets with the incident id, most from users in {region}.",
    "The {tech} version in production was {ver}, two minor versions behind the one the vendor supports.",
    "A temporary dashboard built during the incident has since been added to the service's standard set.",
    "Ownership of {svc} had moved from {team2} to {team} {n} months earlier, and the handover notes did not mention this failure mode.",
    "Engineers confirmed the fix by replaying {big} requests captured before the incident against a staging copy.",
    "Error rates recovered first in {region}, where caches were warmer.",
    "The status page was updated {nn} minutes after the first customer report, later than the target of five.",
    "Access to production logs required a break-glass request that took {n} minutes to approve.",
];

const IMPACT: &[&str] = &[
    "Duration of customer impact: {dur} minutes.",
    "Peak error rate on {svc}: {pct} of requests.",
    "About {big} requests failed or timed out.",
    "Roughly {big} customers saw at least one error.",
    "Estimated lost revenue: ${big}.",
    "{nn} enterprise customers opened support tickets.",
    "Latency at the 99th percentile rose to {n} seconds on {svc2}.",
    "No data was lost; delayed jobs completed after recovery.",
    "Customers in {region} were affected the most.",
    "Internal tools that depend on {svc} were unavailable for the whole outage.",
    "The monthly availability target for {svc} was missed.",
];

const WENT_WELL: &[&str] = &[
    "The incident channel was opened within minutes and roles were assigned early.",
    "Dashboards for {svc} made the failing dependency obvious.",
    "A rollback path existed and worked the first time.",
    "The on-call engineer escalated quickly instead of debugging alone.",
    "Customer support had a status page update ready before the first wave of tickets.",
];
const WENT_WRONG: &[&str] = &[
    "The alert that paged measured symptoms, not the cause, so diagnosis took longer.",
    "The runbook for {svc} was out of date.",
    "Two teams applied mitigations at the same time without telling each other.",
    "Escalation to {team2} took {nn} minutes because the rotation was not in the paging tool.",
    "Retries made the outage worse.",
];
const LUCKY: &[&str] = &[
    "The outage began outside the busiest hours of the week.",
    "An engineer who had built {svc} happened to be online.",
    "A full backup had finished {n} hours before the incident.",
    "Traffic in {region} was unusually low because of a public holiday.",
];

const INTRO_LINES: &[&str] = &[
    "This write-up covers what happened, why it happened, and what {co} is changing as a result.",
    "This document follows the blameless review format: it describes systems and decisions, not individuals.",
    "The review meeting took place {n} days after the incident; this document reflects its conclusions.",
    "Short-form CoE. Details will be added once the vendor's report arrives.",
];

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// Technologies the generator draws from, taken from the vocabulary.
#[derive(Debug, Clone)]
pub struct Catalog {
    techs: Vec<(String, String)>,
    popular: Vec<usize>,
    monitors: Vec<String>,
    pagers: Vec<String>,
    langs: Vec<String>,
}

impl Catalog {
    /// Build from the built-in vocabulary.
    pub fn builtin() -> Result<Catalog> {
        let vocab = Vocab::builtin()?;
        Ok(Catalog::from_vocab(&vocab))
    }

    /// Build from a vocabulary.
    pub fn from_vocab(vocab: &Vocab) -> Catalog {
        let techs: Vec<(String, String)> = vocab.technologies.iter().map(|t| (t.name.clone(), t.category.clone())).collect();
        let canon = |names: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = Vec::new();
            for n in names {
                if let Some(c) = vocab.canonical_technology(n)
                    && !v.iter().any(|x| x == c)
                {
                    v.push(c.to_string());
                }
            }
            v
        };
        let popular = canon(POPULAR).iter().filter_map(|p| techs.iter().position(|(n, _)| n == p)).collect();
        let fallback = |v: Vec<String>, d: &str| if v.is_empty() { vec![d.to_string()] } else { v };
        Catalog {
            popular,
            monitors: fallback(canon(MONITORS), "Prometheus"),
            pagers: fallback(canon(PAGERS), "PagerDuty"),
            langs: fallback(canon(LANGS), "Java"),
            techs,
        }
    }

    fn tech_for(&self, rng: &mut Rng, cats: &[&str]) -> String {
        if !self.techs.is_empty() && rng.chance(70) {
            let cat = rng.pick(cats);
            let pop: Vec<usize> = self.popular.iter().copied().filter(|&i| self.techs[i].1 == *cat).collect();
            if !pop.is_empty() && rng.chance(60) {
                return self.techs[*rng.pick(&pop)].0.clone();
            }
            let all: Vec<usize> = (0..self.techs.len()).filter(|&i| self.techs[i].1 == *cat).collect();
            if !all.is_empty() {
                return self.techs[*rng.pick(&all)].0.clone();
            }
        }
        if !self.popular.is_empty() && rng.chance(75) {
            return self.techs[*rng.pick(&self.popular)].0.clone();
        }
        if self.techs.is_empty() { "Kubernetes".to_string() } else { rng.pick(&self.techs).0.clone() }
    }
}

/// One generated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Path relative to the corpus root, `/`-separated.
    pub rel: String,
    /// The Markdown.
    pub text: String,
}

/// Per-document state: the random choices and the placeholder values.
struct Doc<'a> {
    rng: Rng,
    sc: &'a Scenario,
    team: &'static str,
    team2: &'static str,
    svc: &'static str,
    svc2: &'static str,
    tech: String,
    tech2: String,
    mon: String,
    co: &'static str,
    region: &'static str,
    dur: usize,
    year: i32,
    month: u32,
    day: u32,
}

fn base36(mut n: u64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut v = Vec::new();
    loop {
        v.push(digits[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    v.reverse();
    String::from_utf8(v).unwrap_or_default()
}

fn commas(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Doc<'_> {
    /// Append `tpl` with its `{name}` placeholders filled.
    fn fill(&mut self, tpl: &str, out: &mut String) {
        let mut rest = tpl;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return;
            };
            let key = &after[..close];
            rest = &after[close + 1..];
            match key {
                "svc" => out.push_str(self.svc),
                "svc2" => out.push_str(self.svc2),
                "team" => out.push_str(self.team),
                "team2" => out.push_str(self.team2),
                "tech" => out.push_str(&self.tech),
                "tech2" => out.push_str(&self.tech2),
                "mon" => out.push_str(&self.mon),
                "co" => out.push_str(self.co),
                "region" => out.push_str(self.region),
                "n" => {
                    let _ = write!(out, "{}", self.rng.range(2, 9));
                }
                "nn" => {
                    let _ = write!(out, "{}", self.rng.range(10, 99));
                }
                "big" => {
                    let v = self.rng.range(1_000, 250_000);
                    out.push_str(&commas(v));
                }
                "pct" => {
                    let v = self.rng.range(2, 80);
                    if self.rng.chance(30) {
                        let _ = write!(out, "{v}.{}%", self.rng.below(10));
                    } else {
                        let _ = write!(out, "{v}%");
                    }
                }
                "min" => {
                    let _ = write!(out, "{}", self.rng.range(4, 180));
                }
                "dur" => {
                    let _ = write!(out, "{}", self.dur);
                }
                "ver" => {
                    let _ = write!(out, "v{}.{}.{}", self.rng.range(1, 9), self.rng.below(41), self.rng.below(21));
                }
                "time" => {
                    let _ = write!(out, "{:02}:{:02}", self.rng.below(24), self.rng.below(60));
                }
                "host" => {
                    let z = *self.rng.pick(&["a", "b", "c"]);
                    let _ = write!(out, "{}-{}{:02}.{}.internal", self.svc, z, self.rng.range(1, 40), self.region);
                }
                "metric" => {
                    let s = self.svc.replace('-', "_");
                    let suffix = *self.rng.pick(METRIC_SUFFIXES);
                    let _ = write!(out, "{s}_{suffix}");
                }
                "cfg" => out.push_str(self.rng.pick(CFGS).as_ref()),
                "tbl" => out.push_str(self.rng.pick(TABLES).as_ref()),
                "err" => out.push_str(self.rng.pick(ERRS).as_ref()),
                "errmsg" => out.push_str(self.rng.pick(ERRMSGS).as_ref()),
                _ => {
                    out.push('{');
                    out.push_str(key);
                    out.push('}');
                }
            }
        }
        out.push_str(rest);
    }

    fn line(&mut self, tpl: &str) -> String {
        let mut s = String::with_capacity(tpl.len() + 32);
        self.fill(tpl, &mut s);
        s
    }

    fn pick_line(&mut self, xs: &[&str]) -> String {
        let t = *self.rng.pick(xs);
        self.line(t)
    }

    fn date_iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn date_long(&self) -> String {
        format!("{} {}, {}", MONTHS[self.month as usize - 1], self.day, self.year)
    }

    /// A date `days` after the incident, as YYYY-MM-DD.
    fn later(&self, days: i64) -> String {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, self.day)
            .and_then(|d| d.checked_add_signed(chrono::Duration::days(days)))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| self.date_iso())
    }

    /// A paragraph of `n` sentences from `pool` (distinct where possible).
    fn paragraph(&mut self, pool: &[&str], n: usize) -> String {
        let mut out = String::new();
        let start = self.rng.below(pool.len());
        let step = 1 + self.rng.below(pool.len().saturating_sub(1).max(1));
        for k in 0..n {
            if k > 0 {
                out.push(' ');
            }
            let t = pool[(start + k * step) % pool.len()];
            self.fill(t, &mut out);
        }
        out
    }
}

/// Timeline layout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TimelineStyle {
    List,
    Table,
    Headings,
}

/// Action-items layout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ActionStyle {
    Tasks,
    Table,
    Grouped,
}

struct Event {
    minutes: usize,
    text: String,
}

impl Catalog {
    /// Generate document `i` of the corpus with this seed.
    pub fn document(&self, seed: u64, i: u64) -> Generated {
        let mut rng = Rng::for_doc(seed, i);
        let sc = &SCENARIOS[rng.below(SCENARIOS.len())];
        let (org, team, services) = TEAMS[rng.below(TEAMS.len())];
        let (_, team2, services2) = TEAMS[rng.below(TEAMS.len())];
        let svc = services[rng.below(5)];
        let mut svc2 = services2[rng.below(5)];
        if svc2 == svc {
            svc2 = services[(services.iter().position(|s| *s == svc).unwrap_or(0) + 1) % 5];
        }
        let tech = self.tech_for(&mut rng, sc.cats);
        let mut tech2 = self.tech_for(&mut rng, &["database", "cloud", "kubernetes", "queue", "network"]);
        if tech2 == tech {
            tech2 = self.langs[rng.below(self.langs.len())].clone();
        }
        let mon = rng.pick(&self.monitors).clone();
        let year = rng.range(2019, 2026) as i32;
        let month = rng.range(1, 12) as u32;
        let dim = match month {
            2 if year % 4 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let day = rng.range(1, dim) as u32;
        let co = *rng.pick(COMPANIES);
        let region = *rng.pick(REGIONS);
        let dur = rng.range(6, 240);
        let mut d = Doc { rng, sc, team, team2, svc, svc2, tech, tech2, mon, co, region, dur, year, month, day };
        let target = {
            let r = d.rng.below(100);
            let (lo, hi) = match r {
                0..20 => (1_100, 2_500),
                20..75 => (2_500, 6_000),
                75..93 => (6_000, 12_000),
                _ => (12_000, MAX_SIZE - 600),
            };
            d.rng.range(lo, hi)
        };
        let text = render(&mut d, self, i, target);
        let title_slug = slug_of(&text);
        let id36 = base36(i);
        let dir = if d.rng.chance(85) { format!("{org}/{team}/{year}") } else { format!("{org}/{team}") };
        let name = if d.rng.chance(85) { format!("{}-{title_slug}-{id36}.md", d.date_iso()) } else { format!("{title_slug}-{id36}.md") };
        Generated { rel: format!("{dir}/{name}"), text }
    }
}

/// A file-name slug from the first `# ` heading (at most 8 words; never a
/// name the indexer skips as a repository file).
fn slug_of(text: &str) -> String {
    let title = text.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or("incident");
    let words: Vec<String> =
        title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).take(8).map(|w| w.to_ascii_lowercase()).collect();
    let s = words.join("-");
    let stem = s.split('-').next().unwrap_or("");
    if s.is_empty() || crate::source::DEFAULT_IGNORED_NAMES.contains(&stem) || stem == "code" { format!("incident-{s}") } else { s }
}

fn render(d: &mut Doc<'_>, cat: &Catalog, i: u64, target: usize) -> String {
    let sc = d.sc;
    let title = d.pick_line(sc.titles);
    let severity = match d.rng.below(100) {
        0..10 => "SEV1",
        10..45 => "SEV2",
        45..85 => "SEV3",
        _ => "SEV4",
    };
    let status = *d.rng.pick(&["published", "published", "in review", "draft", "final"]);
    let mut techs = vec![d.tech.clone(), d.tech2.clone(), d.mon.clone()];
    if d.rng.chance(60) {
        techs.push(d.rng.pick(&cat.pagers).clone());
    }
    if d.rng.chance(60) {
        techs.push(d.rng.pick(&cat.langs).clone());
    }
    let mut seen = BTreeSet::new();
    techs.retain(|t| seen.insert(t.clone()));
    let tags: Vec<&str> = {
        let n = d.rng.range(1, sc.tags.len());
        let s = d.rng.below(sc.tags.len());
        (0..n).map(|k| sc.tags[(s + k) % sc.tags.len()]).collect()
    };
    let style = match d.rng.below(100) {
        0..45 => 0,
        45..75 => 1,
        _ => 2,
    };
    let fm = match d.rng.below(100) {
        0..50 => 1,
        50..75 => 2,
        _ => 0,
    };
    let tl_style = match d.rng.below(100) {
        0..45 => TimelineStyle::List,
        45..80 => TimelineStyle::Table,
        _ => TimelineStyle::Headings,
    };
    let ai_style = match d.rng.below(100) {
        0..40 => ActionStyle::Tasks,
        40..80 => ActionStyle::Table,
        _ => ActionStyle::Grouped,
    };
    let setext = style == 1 && d.rng.chance(25);
    let numbered = style == 0 && d.rng.chance(20);
    let with_id = d.rng.chance(60);
    let id = format!("COE-{}-{:05}", d.year, i);
    let services = [d.svc, d.svc2];

    let mut out = String::with_capacity(target + 2048);
    // Front matter.
    match fm {
        1 => {
            out.push_str("---\n");
            if with_id {
                let _ = writeln!(out, "id: {id}");
            }
            let _ = writeln!(out, "title: \"{}\"", title.replace('"', "'"));
            let _ = writeln!(out, "date: {}", d.date_iso());
            let _ = writeln!(out, "severity: {severity}\nstatus: {status}\nteam: {}", d.team);
            if d.rng.chance(50) {
                out.push_str("visibility: public\n");
            }
            out.push_str("services:\n");
            for s in services {
                let _ = writeln!(out, "  - {s}");
            }
            out.push_str("technologies:\n");
            for t in &techs {
                let _ = writeln!(out, "  - {t}");
            }
            out.push_str("tags:\n");
            for t in &tags {
                let _ = writeln!(out, "  - {t}");
            }
            let _ = writeln!(out, "authors:\n  - {} on-call", d.team);
            out.push_str("---\n\n");
        }
        2 => {
            out.push_str("+++\n");
            if with_id {
                let _ = writeln!(out, "id = \"{id}\"");
            }
            let _ = writeln!(out, "title = \"{}\"", title.replace('"', "'"));
            let _ = writeln!(out, "date = \"{}\"", d.date_iso());
            let _ = writeln!(out, "severity = \"{severity}\"\nstatus = \"{status}\"\nteam = \"{}\"", d.team);
            let list = |xs: &[&str]| xs.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(", ");
            let _ = writeln!(out, "services = [{}]", list(&services));
            let tv: Vec<&str> = techs.iter().map(String::as_str).collect();
            let _ = writeln!(out, "technologies = [{}]", list(&tv));
            let _ = writeln!(out, "tags = [{}]", list(&tags));
            out.push_str("+++\n\n");
        }
        _ => {}
    }
    // Title.
    if setext {
        let _ = writeln!(out, "{title}\n{}\n", "=".repeat(title.chars().count().min(80)));
    } else {
        let _ = writeln!(out, "# {title}\n");
    }
    if fm == 0 {
        let _ = writeln!(
            out,
            "**Team:** {}  **Severity:** {severity}  **Incident date:** {}  **Services:** {}, {}\n",
            d.team,
            d.date_iso(),
            d.svc,
            d.svc2
        );
    }

    // Body sections, built first so the investigation notes can fill the size budget.
    let mut sections: Vec<(String, String)> = Vec::new();
    let summary = {
        let mut s = String::new();
        let _ = write!(s, "On {}, ", d.date_long());
        let t = *d.rng.pick(sc.trigger);
        d.fill(&lowercase_first(t), &mut s);
        s.push(' ');
        s.push_str(&d.pick_line(sc.symptom));
        s.push(' ');
        let det = d.line("A {mon} alert on `{metric}` paged the {team} on-call, and the outage lasted {dur} minutes.");
        s.push_str(&det);
        s.push_str("\n\n");
        s.push_str(&d.pick_line(sc.mitigation));
        s.push(' ');
        s.push_str(&d.paragraph(NARRATIVE, 1));
        s
    };
    let short = target < 2600;
    let n_events = if short { 5 } else { (6 + target / 1200).min(40) };
    let events = timeline_events(d, n_events);
    let timeline = render_timeline(d, &events, tl_style);
    let actions = render_actions(d, ai_style);
    let impact = {
        let n = d.rng.range(3, 6);
        let mut s = String::new();
        let st = d.rng.below(IMPACT.len());
        for k in 0..n {
            s.push_str("- ");
            let t = IMPACT[(st + k * 3) % IMPACT.len()];
            d.fill(t, &mut s);
            s.push('\n');
        }
        s
    };
    let whys = {
        let mut s = String::new();
        for (k, w) in sc.whys.iter().enumerate() {
            let _ = write!(s, "{}. ", k + 1);
            d.fill(w, &mut s);
            if k == 4 {
                s.push_str(" **Root cause:** ");
                let c = d.pick_line(sc.causes);
                s.push_str(&c);
            }
            s.push('\n');
        }
        s
    };
    let causes = {
        let mut s = String::new();
        for (k, c) in sc.causes.iter().enumerate() {
            let _ = write!(s, "{}. ", k + 1);
            d.fill(c, &mut s);
            if d.rng.chance(40) {
                s.push(' ');
                let p = d.paragraph(NARRATIVE, 1);
                s.push_str(&p);
            }
            s.push('\n');
        }
        s
    };
    let lessons = {
        let mut s = String::new();
        for (h, pool) in [("What went well", WENT_WELL), ("What went wrong", WENT_WRONG), ("Where we got lucky", LUCKY)] {
            let _ = writeln!(s, "### {h}\n");
            let n = d.rng.range(1, 3);
            for k in 0..n {
                s.push_str("- ");
                let t = pool[(k + d.rng.below(pool.len())) % pool.len()];
                d.fill(t, &mut s);
                s.push('\n');
            }
            s.push('\n');
        }
        s.trim_end().to_string() + "\n"
    };
    let response = {
        let mut s = String::new();
        let role = d.pick_line(ROLES);
        let _ = write!(s, "**How was the event detected?** ");
        d.fill("An automated {mon} monitor on `{metric}` paged the {team} on-call through the paging tool ", &mut s);
        d.fill("{n} minutes after impact began.\n\n**Could time to detection have been shorter?** ", &mut s);
        s.push_str(&d.paragraph(NARRATIVE, 1));
        s.push_str("\n\n**How was the issue mitigated?** ");
        let _ = write!(s, "{} coordinated the response. ", capitalize(&role));
        s.push_str(&d.pick_line(sc.mitigation));
        s.push_str("\n\n**Could time to mitigation have been shorter?** ");
        s.push_str(&d.paragraph(NARRATIVE, 2));
        s.push('\n');
        s
    };

    match style {
        0 => {
            sections.push(("Summary".into(), summary));
            if short {
                sections.push(("Timeline".into(), timeline));
                sections.push(("Action Items".into(), actions));
            } else {
                if d.rng.chance(50) {
                    let m = d.line("![{metric} during the incident](graphs/{metric}.png)\n\nThe graph shows `{metric}` for {svc} from an hour before the incident until recovery, with markers for detection and mitigation.\n");
                    sections.push(("Metrics / Graphs".into(), m));
                }
                sections.push(("Impact".into(), impact));
                sections.push(("Incident Response".into(), response));
                sections.push(("Timeline".into(), timeline));
                sections.push(("5 Whys".into(), whys));
                sections.push(("Action Items".into(), actions));
            }
        }
        1 if short => {
            sections.push(("Issue Summary".into(), summary));
            sections.push(("Action Items".into(), actions));
            sections.push(("Timeline".into(), timeline));
        }
        2 if short => {
            let intro = d.pick_line(INTRO_LINES);
            sections.push((String::new(), intro));
            sections.push(("What happened".into(), summary));
            sections.push(("Timeline".into(), timeline));
            sections.push(("Follow-ups".into(), actions));
        }
        1 => {
            sections.push(("Issue Summary".into(), summary));
            sections.push(("Impact".into(), impact));
            sections.push(("Root Causes".into(), causes));
            let trig = d.pick_line(sc.trigger);
            sections.push(("Trigger".into(), trig));
            let res = d.pick_line(sc.mitigation);
            sections.push(("Resolution".into(), res));
            let det = d.line("A {mon} alert on `{metric}` paged the {team} on-call. ") + &d.paragraph(NARRATIVE, 1);
            sections.push(("Detection".into(), det));
            sections.push(("Lessons Learned".into(), lessons));
            sections.push(("Action Items".into(), actions));
            sections.push(("Timeline".into(), timeline));
        }
        _ => {
            let intro = d.pick_line(INTRO_LINES);
            sections.push((String::new(), intro));
            sections.push(("What happened".into(), summary));
            sections.push(("Timeline".into(), timeline));
            sections.push(("Impact".into(), impact));
            let why = d.paragraph(sc.causes, 2) + "\n\n" + &d.paragraph(NARRATIVE, 2);
            sections.push(("Why did this happen?".into(), why));
            sections.push(("Contributing factors".into(), causes));
            sections.push(("What we are doing about it".into(), actions));
        }
    }
    // Investigation notes, sized to the target.
    let used: usize = out.len() + sections.iter().map(|(h, b)| h.len() + b.len() + 8).sum::<usize>();
    if used + 200 < target {
        let budget = target - used;
        let mut notes = String::new();
        while notes.len() + 120 < budget {
            if d.rng.chance(12) && budget - notes.len() > 900 {
                notes.push_str("```text\n");
                let lines = d.rng.range(4, 10);
                for _ in 0..lines {
                    let ts = format!("{}T{:02}:{:02}:{:02}Z", d.date_iso(), d.rng.below(24), d.rng.below(60), d.rng.below(60));
                    let lvl = *d.rng.pick(&["ERROR", "WARN", "ERROR", "INFO"]);
                    let _ = write!(notes, "{ts} {lvl} {} ", d.svc);
                    d.fill("host={host} msg=\"{errmsg}\" request_id=", &mut notes);
                    let _ = writeln!(notes, "{:016x}", d.rng.next_u64());
                }
                notes.push_str("```\n\n");
            } else {
                let n = d.rng.range(2, 5);
                let p = d.paragraph(NARRATIVE, n);
                notes.push_str(&p);
                notes.push_str("\n\n");
            }
        }
        let heading = match style {
            0 => "Investigation notes".into(),
            1 => "Appendix: investigation notes".into(),
            _ => "The long version".into(),
        };
        let at = match style {
            0 => sections.len() - 1,
            1 => sections.len() - 2,
            _ => 3,
        };
        sections.insert(at, (heading, notes.trim_end().to_string() + "\n"));
    }
    let mut number = 0;
    for (heading, body) in &sections {
        if !heading.is_empty() {
            number += 1;
            let heading = if numbered { format!("{number}. {heading}") } else { heading.clone() };
            if setext {
                let _ = writeln!(out, "{heading}\n{}\n", "-".repeat(heading.chars().count()));
            } else {
                let _ = writeln!(out, "## {heading}\n");
            }
        }
        out.push_str(body.trim_end());
        out.push_str("\n\n");
    }
    while out.len() < MIN_SIZE {
        let p = d.paragraph(NARRATIVE, 2);
        out.push_str(&p);
        out.push_str("\n\n");
    }
    if out.len() > MAX_SIZE {
        let cut = crate::text::floor_char_boundary(&out, MAX_SIZE);
        let cut = out[..cut].rfind("\n\n").map_or(cut, |p| p + 1);
        out.truncate(cut);
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// Lowercase the first word of a sentence template when it is an ordinary
/// capitalised word ("The", "A", "Latency"); names ("DynamoDB") and
/// placeholders ("{svc}") stay as written.
fn lowercase_first(s: &str) -> String {
    let word = s.split(' ').next().unwrap_or("");
    let mut c = word.chars();
    match c.next() {
        Some(f) if f.is_ascii_uppercase() && c.all(|x| x.is_ascii_lowercase()) => f.to_ascii_lowercase().to_string() + &s[1..],
        _ => s.to_string(),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

const GENERIC_EVENTS: &[&str] = &[
    "Customer support reports a rise in tickets about {svc}",
    "Second responder from {team2} joins the incident channel",
    "Status page updated: investigating elevated errors",
    "Incident commander requests a rollback plan",
    "Dashboards for {svc2} checked; no anomaly found",
    "Traffic to {svc} drops by {pct} as clients back off",
    "Engineers rule out the latest deploy of {svc2}",
    "Logs on `{host}` show `{errmsg}`",
    "Customer communication sent to affected enterprise accounts",
    "Error budget burn alert fires for {svc}",
];

fn timeline_events(d: &mut Doc<'_>, n: usize) -> Vec<Event> {
    let sc = d.sc;
    let mut texts: Vec<String> = Vec::with_capacity(n);
    let trig = d.pick_line(sc.events);
    texts.push(trig);
    texts.push(d.line("First errors on {svc}; impact begins"));
    texts.push(d.line("{mon} alert fires; the {team} on-call is paged"));
    texts.push("On-call acknowledges the page and opens the incident channel".into());
    let sev = d.line("Incident declared and escalated to {team2}");
    texts.push(sev);
    let fillers = n.saturating_sub(8);
    for k in 0..fillers {
        let t = if k % 3 == 0 { d.pick_line(sc.events) } else { d.pick_line(GENERIC_EVENTS) };
        texts.push(t);
    }
    let m = *d.rng.pick(sc.mitigation);
    let m = d.line(&lowercase_first(m));
    texts.push(format!("Mitigation: {}", m.trim_end_matches('.')));
    texts.push(d.line("Error rate on {svc} back to baseline"));
    texts.push("Incident resolved".into());
    let mut minutes = 0;
    texts
        .into_iter()
        .map(|text| {
            minutes += d.rng.range(1, 12);
            Event { minutes, text }
        })
        .collect()
}

fn render_timeline(d: &mut Doc<'_>, events: &[Event], style: TimelineStyle) -> String {
    let start = d.rng.range(0, 22 * 60);
    let zone = *d.rng.pick(&["UTC", "UTC", "UTC", "PDT", "CET"]);
    let twelve = zone == "PDT" && d.rng.chance(50);
    let iso = style != TimelineStyle::Headings && d.rng.chance(20);
    let date = d.date_iso();
    let stamp = |m: usize| -> String {
        let t = (start + m) % (24 * 60);
        let (hh, mm) = (t / 60, t % 60);
        if twelve {
            let h12 = if hh % 12 == 0 { 12 } else { hh % 12 };
            format!("{h12}:{mm:02} {} {zone}", if hh < 12 { "AM" } else { "PM" })
        } else if iso {
            format!("{date} {hh:02}:{mm:02} {zone}")
        } else {
            format!("{hh:02}:{mm:02} {zone}")
        }
    };
    let mut s = String::new();
    let _ = writeln!(s, "All times {zone}.\n");
    match style {
        TimelineStyle::List => {
            for e in events {
                let _ = writeln!(s, "- {} — {}.", stamp(e.minutes), e.text);
            }
        }
        TimelineStyle::Table => {
            let _ = writeln!(s, "| Time ({zone}) | Event |\n|---|---|");
            for e in events {
                let _ = writeln!(s, "| {} | {} |", stamp(e.minutes), e.text.replace('|', "/"));
            }
        }
        TimelineStyle::Headings => {
            for e in events {
                let _ = writeln!(s, "### {}\n\n{}.\n", stamp(e.minutes), e.text);
            }
        }
    }
    s
}

fn render_actions(d: &mut Doc<'_>, style: ActionStyle) -> String {
    let sc = d.sc;
    let n = d.rng.range(3, sc.actions.len().max(3));
    let start = d.rng.below(sc.actions.len());
    let mut items = Vec::with_capacity(n);
    for k in 0..n {
        let title = d.line(sc.actions[(start + k) % sc.actions.len()]);
        let owner = if d.rng.chance(70) { d.team } else { d.team2 };
        let days = d.rng.range(3, 120) as i64;
        let due = d.later(days);
        let prio = d.rng.below(4);
        let status = match d.rng.below(100) {
            0..40 => "Done",
            40..60 => "In progress",
            60..93 => "Open",
            _ => "Won't do",
        };
        let kind = *d.rng.pick(&["Prevent", "Detect", "Mitigate", "Process"]);
        items.push((title, owner, due, prio, status, kind));
    }
    let mut s = String::new();
    match style {
        ActionStyle::Tasks => {
            for (title, owner, due, prio, status, _) in &items {
                let mark = if *status == "Done" { "x" } else { " " };
                let _ = writeln!(s, "- [{mark}] {title} (owner: {owner}, due {due}, P{prio})");
            }
        }
        ActionStyle::Table => {
            if d.rng.chance(50) {
                s.push_str("| Action | Severity | Owner | Due | Status |\n|---|---|---|---|---|\n");
                for (title, owner, due, prio, status, _) in &items {
                    let sev = ["Critical", "High", "Medium", "Low"][*prio];
                    let _ = writeln!(s, "| {title} | {sev} | {owner} | {due} | {status} |");
                }
            } else {
                s.push_str("| Item | Type | Priority | Owner | Due | Status |\n|---|---|---|---|---|---|\n");
                for (title, owner, due, prio, status, kind) in &items {
                    let _ = writeln!(s, "| {title} | {kind} | P{prio} | {owner} | {due} | {status} |");
                }
            }
        }
        ActionStyle::Grouped => {
            for group in ["Prevent", "Detect", "Mitigate", "Process"] {
                let members: Vec<_> = items.iter().filter(|x| x.5 == group).collect();
                if members.is_empty() {
                    continue;
                }
                let _ = writeln!(s, "### {group}\n");
                for (title, owner, due, prio, status, _) in members {
                    let _ = writeln!(s, "- {title}. Owner: {owner}. Due: {due}. Priority: P{prio}. Status: {}.", status.to_lowercase());
                }
                s.push('\n');
            }
        }
    }
    s
}

/// What a generation run wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Write documents `0..n` for `seed` under `dir` (which must be empty or absent),
/// on all cores. Output does not depend on the thread count.
pub fn generate(n: usize, dir: &Path, seed: u64) -> Result<Stats> {
    if dir.exists() && std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?.next().is_some() {
        bail!("`{}` is not empty; gen-corpus writes into an empty or new folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let catalog = Catalog::builtin()?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(16);
    let next = AtomicUsize::new(0);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    const CHUNK: usize = 256;
    let made_dirs = std::sync::Mutex::new(BTreeSet::<PathBuf>::new());
    std::thread::scope(|scope| -> Result<()> {
        let mut handles = Vec::new();
        for _ in 0..threads {
            handles.push(scope.spawn(|| -> Result<()> {
                loop {
                    let lo = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if lo >= n {
                        return Ok(());
                    }
                    for i in lo..(lo + CHUNK).min(n) {
                        let g = catalog.document(seed, i as u64);
                        let path = dir.join(&g.rel);
                        if let Some(parent) = path.parent() {
                            let known = made_dirs.lock().map(|m| m.contains(parent)).unwrap_or(false);
                            if !known {
                                std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
                                if let Ok(mut m) = made_dirs.lock() {
                                    m.insert(parent.to_path_buf());
                                }
                            }
                        }
                        std::fs::write(&path, g.text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))?;
                        bytes.fetch_add(g.text.len() as u64, Ordering::Relaxed);
                    }
                }
            }));
        }
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("a generator thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(Stats { files: n, bytes: bytes.into_inner() })
}

/// `coe gen-corpus N DIR [--seed S]`.
pub fn run(n: usize, dir: &Path, seed: u64) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let s = generate(n, dir, seed)?;
    println!("{}: {} files, {:.1} MB (seed {seed}), took {:.2?}", dir.display(), s.files, s.bytes as f64 / 1e6, started.elapsed());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let c = Catalog::builtin().unwrap();
        for i in 0..300 {
            let a = c.document(7, i);
            let b = c.document(7, i);
            assert_eq!(a, b);
            assert!(a.text.len() >= MIN_SIZE && a.text.len() <= MAX_SIZE, "doc {i}: {} bytes", a.text.len());
            assert!(!a.text.contains('{'), "doc {i} has an unfilled placeholder:\n{}", a.text);
        }
        assert_ne!(c.document(7, 1).text, c.document(8, 1).text);
    }

    #[test]
    fn parses_with_structure() {
        let c = Catalog::builtin().unwrap();
        let vocab = Vocab::builtin().unwrap();
        let (mut tl, mut ai, mut tech) = (0, 0, 0);
        for i in 0..200 {
            let g = c.document(42, i);
            let doc = crate::parse::parse(
                crate::parse::Input { source: "gen", path: &g.rel, bytes: g.text.as_bytes(), defaults: &Default::default() },
                &vocab,
            );
            assert!(!doc.title.is_empty(), "{}", g.rel);
            tl += usize::from(doc.timeline.len() >= 5);
            ai += usize::from(doc.action_items.len() >= 2);
            tech += usize::from(!doc.technologies.is_empty());
        }
        assert!(tl > 180 && ai > 180 && tech > 190, "timeline {tl}, action items {ai}, technologies {tech}");
    }
}
