//! What the Solr-flavoured parameters mean here.

use super::*;

fn is(field: Field, v: &str) -> (Field, Wanted) {
    (field, Wanted::Is(v.into()))
}

#[test]
fn field_terms_become_clauses_and_words_go_to_text_search() {
    let f = parse("停車 場 tags:交通 organization:380290000h", Param::Q).unwrap();
    assert_eq!(f.words, vec!["停車", "場"]);
    assert_eq!(
        f.clauses,
        vec![
            Clause {
                negated: false,
                any_of: vec![is(Field::Tags, "交通")]
            },
            Clause {
                negated: false,
                any_of: vec![is(Field::Organization, "380290000h")]
            },
        ]
    );
    assert_eq!(parse("*:*", Param::Q).unwrap(), Filter::default());
    assert_eq!(
        parse("http://x.tw", Param::Q).unwrap().words,
        vec!["http://x.tw"]
    );
}

#[test]
fn or_joins_terms_and_parentheses_list_alternatives() {
    let f = parse(
        "+res_format:(CSV OR \"JSON\") organization:a OR organization:b",
        Param::Fq,
    )
    .unwrap();
    assert_eq!(f.clauses.len(), 2);
    assert_eq!(
        f.clauses[0].any_of,
        vec![is(Field::ResFormat, "CSV"), is(Field::ResFormat, "JSON")]
    );
    assert_eq!(
        f.clauses[1].any_of,
        vec![is(Field::Organization, "a"), is(Field::Organization, "b")]
    );
    let neg = parse("-organization:a", Param::Fq).unwrap();
    assert!(neg.clauses[0].negated);
}

#[test]
fn harvesters_ask_for_changes_since_a_date() {
    let f = parse(
        "metadata_modified:[2024-01-31T00:00:00.000000Z TO *]",
        Param::Fq,
    )
    .unwrap();
    let since = Timestamp::parse_rfc3339("2024-01-31T00:00:00Z").unwrap();
    assert_eq!(
        f.clauses[0].any_of,
        vec![(
            Field::MetadataModified,
            Wanted::Between(Bound::Included(since), Bound::Unbounded)
        )]
    );
    assert!(parse("metadata_modified:[NOW-1DAY TO *]", Param::Fq).is_err());
    assert!(parse("name:[a TO b]", Param::Fq).is_err());
}

#[test]
fn unsupported_fields_are_named_not_ignored() {
    let e = parse("groups:x title:y name:z", Param::Fq).unwrap_err();
    assert!(e.0.contains("groups, title"), "{}", e.0);
    assert!(parse("title:公車", Param::Q).is_err());
    assert!(parse("whatever:1", Param::Fq).is_err());
    assert!(
        parse("organization:\"a", Param::Fq).is_err(),
        "unbalanced quote"
    );
}

#[test]
fn sorts_are_ckans_names() {
    assert_eq!(
        parse_sort(DEFAULT_SORT).unwrap(),
        vec![(SortKey::Score, true), (SortKey::MetadataModified, true)]
    );
    assert_eq!(
        parse_sort("title_string asc").unwrap(),
        vec![(SortKey::Title, false)]
    );
    assert!(parse_sort("views_recent desc").is_err());
}
