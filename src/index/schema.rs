//! The schema declared in `index-schema/schema.toml`, turned into a Tantivy
//! schema and resolved once into a [`Fields`] struct of field handles.

use serde::Deserialize;
use tantivy::schema::{
    BytesOptions, DateOptions, FacetOptions, Field, IndexRecordOption, NumericOptions, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer};

/// The declaration, as shipped.
pub const SCHEMA_TOML: &str = include_str!("../../index-schema/schema.toml");

/// One declared field.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldDecl {
    /// Field name.
    pub name: String,
    /// `string`, `text`, `facet`, `date`, `u64`, `i64`, `bytes` or `stored` (doc store only).
    #[serde(rename = "type")]
    pub kind: String,
    /// Tokenizer of a text field (`coe` or `keyword`).
    #[serde(default)]
    pub tokenizer: Option<String>,
    /// Stored in the doc store.
    #[serde(default)]
    pub stored: bool,
    /// A fast (columnar) field.
    #[serde(default)]
    pub fast: bool,
    /// Weight in the default search fields.
    #[serde(default)]
    pub boost: Option<f32>,
    /// What the field is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// The whole declaration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDecl {
    /// Schema version; a different version forces a rebuild.
    pub version: u32,
    /// Fields.
    pub field: Vec<FieldDecl>,
}

/// Parse the shipped declaration.
pub fn declaration() -> Result<SchemaDecl, String> {
    toml::from_str(SCHEMA_TOML).map_err(|e| format!("index-schema/schema.toml: {e}"))
}

/// Register the tokenizers the declaration names.
pub fn register_tokenizers(index: &tantivy::Index) {
    let coe = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::English).unwrap_or_else(|| StopWordFilter::remove(Vec::<String>::new())))
        .filter(Stemmer::new(Language::English))
        .build();
    let keyword = TextAnalyzer::builder(RawTokenizer::default()).filter(RemoveLongFilter::limit(200)).filter(LowerCaser).build();
    index.tokenizers().register("coe", coe);
    index.tokenizers().register("keyword", keyword);
}

/// Build the Tantivy schema from the declaration.
pub fn build(decl: &SchemaDecl) -> Result<Schema, String> {
    let mut b = Schema::builder();
    for f in &decl.field {
        match f.kind.as_str() {
            "string" => {
                let mut o = TextOptions::default()
                    .set_indexing_options(TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::Basic));
                if f.stored {
                    o = o | STORED;
                }
                if f.fast {
                    o = o.set_fast("raw");
                }
                b.add_text_field(&f.name, o);
            }
            "text" => {
                let tok = f.tokenizer.as_deref().unwrap_or("coe");
                if tok != "coe" && tok != "keyword" {
                    return Err(format!("field `{}`: unknown tokenizer `{tok}`", f.name));
                }
                let rec = if tok == "coe" { IndexRecordOption::WithFreqsAndPositions } else { IndexRecordOption::WithFreqs };
                let mut o =
                    TextOptions::default().set_indexing_options(TextFieldIndexing::default().set_tokenizer(tok).set_index_option(rec));
                if f.stored {
                    o = o | STORED;
                }
                b.add_text_field(&f.name, o);
            }
            "facet" => {
                let o = if f.stored { FacetOptions::default().set_stored() } else { FacetOptions::default() };
                b.add_facet_field(&f.name, o);
            }
            "date" => {
                let mut o = DateOptions::default().set_indexed();
                if f.stored {
                    o = o.set_stored();
                }
                if f.fast {
                    o = o.set_fast();
                }
                b.add_date_field(&f.name, o);
            }
            "u64" | "i64" => {
                let mut o = NumericOptions::default().set_indexed();
                if f.stored {
                    o = o.set_stored();
                }
                if f.fast {
                    o = o.set_fast();
                }
                if f.kind == "u64" {
                    b.add_u64_field(&f.name, o);
                } else {
                    b.add_i64_field(&f.name, o);
                }
            }
            "stored" => {
                b.add_text_field(&f.name, TextOptions::default().set_stored());
            }
            "bytes" => {
                let o = if f.stored { BytesOptions::default().set_stored() } else { BytesOptions::default() };
                b.add_bytes_field(&f.name, o);
            }
            other => return Err(format!("field `{}`: unknown type `{other}`", f.name)),
        }
    }
    Ok(b.build())
}

macro_rules! fields {
    ($($name:ident),* $(,)?) => {
        /// Handles of every field the code reads or writes.
        #[derive(Debug, Clone, Copy)]
        #[allow(missing_docs)]
        pub struct Fields { $(pub $name: Field,)* }

        /// The names the code uses, in declaration order.
        pub const FIELD_NAMES: &[&str] = &[$(stringify!($name),)*];

        impl Fields {
            /// Resolve every handle; fails naming the first missing field.
            pub fn resolve(schema: &Schema) -> Result<Fields, String> {
                Ok(Fields { $($name: schema.get_field(stringify!($name)).map_err(|_| format!("index-schema/schema.toml has no field `{}`", stringify!($name)))?,)* })
            }
        }
    };
}

fields!(
    id,
    source,
    path,
    title,
    summary,
    root_cause,
    body,
    impact,
    timeline,
    five_whys,
    action_items,
    resolution,
    lessons,
    technology,
    service,
    team,
    severity,
    failure_mode,
    status,
    tag,
    visibility,
    f_technology,
    f_service,
    f_team,
    f_severity,
    f_failure_mode,
    f_year,
    f_source,
    date,
    first_seen,
    completeness,
    open_actions,
    file_size,
    file_stamp,
    content_hash,
    meta,
    hit,
    raw,
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The code and `index-schema/schema.toml` must name the same fields, in the same order.
    #[test]
    fn declaration_and_code_agree() {
        let decl = declaration().expect("schema.toml parses");
        let declared: Vec<&str> = decl.field.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(declared, FIELD_NAMES, "index-schema/schema.toml and src/index/schema.rs drifted apart");
        let schema = build(&decl).expect("schema builds");
        Fields::resolve(&schema).expect("every field resolves");
    }
}
