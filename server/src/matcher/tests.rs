use super::index::{lookup_keys, name_from_address, normalize_name, PersonEmail, PersonNames};
use super::*;

fn attendee<'a>(email: &'a str, name: Option<&'a str>) -> Guest<'a> {
    Guest {
        email,
        name,
        is_resource: false,
        is_self: false,
    }
}

/// Ana Sousa (two emails), José Núñez, Jon Smith and John Smith (ambiguous), Madonna (one token),
/// Li Wei (gmail with dots), two Maria Garcias.
fn index() -> Index {
    let people = [
        ("ana", "Ana", "Sousa"),
        ("jose", "José", "Núñez"),
        ("jon", "Jon", "Smith"),
        ("john", "John", "Smith"),
        ("madonna", "Madonna", ""),
        ("li", "Li", "Wei"),
        ("anna", "Anna", "Müller"),
        ("maria1", "Maria", "Garcia"),
        ("maria2", "María", "García"),
    ];
    let emails = [
        ("ana", "ana@work.example", true),
        ("ana", "ana.sousa@home.example", false),
        ("jose", "jose@nunez.example", true),
        ("li", "li.wei@gmail.com", true),
        ("madonna", "m@music.example", true),
    ];
    Index::build(
        people.iter().map(|(id, f, l)| PersonNames {
            id,
            first_name: f,
            last_name: l,
        }),
        emails.iter().map(|(p, e, primary)| PersonEmail {
            person: p,
            normalized: e,
            primary: *primary,
        }),
    )
}

fn linked(outcome: Outcome) -> (String, u8, MatchReason) {
    match outcome {
        Outcome::Linked(m) => (m.person, m.confidence, m.reason),
        other => panic!("expected a link, got {other:?}"),
    }
}

fn suggested(outcome: Outcome) -> Vec<String> {
    match outcome {
        Outcome::Suggested(list) => list.into_iter().map(|m| m.person).collect(),
        Outcome::Unmatched => Vec::new(),
        other => panic!("expected suggestions, got {other:?}"),
    }
}

#[test]
fn email_matches_are_exact_case_insensitive_and_cover_every_address() {
    let ix = index();
    assert_eq!(
        linked(ix.match_attendee("ANA@Work.Example", None, false)),
        ("ana".into(), 100, MatchReason::PrimaryEmail)
    );
    assert_eq!(
        linked(ix.match_attendee("mailto:ana.sousa@home.example", None, false)),
        ("ana".into(), 100, MatchReason::OtherEmail)
    );
    assert_eq!(
        linked(ix.match_attendee("  MAILTO:Jose@Nunez.Example ", None, false)).0,
        "jose"
    );
}

#[test]
fn gmail_dots_plus_tags_and_googlemail_are_aliases() {
    let ix = index();
    for address in [
        "liwei@gmail.com",
        "Li.Wei+crm@gmail.com",
        "l.i.w.e.i@googlemail.com",
    ] {
        assert_eq!(
            linked(ix.match_attendee(address, None, false)),
            ("li".into(), 95, MatchReason::Alias),
            "{address}"
        );
    }
    // Other domains keep dots and tags significant.
    assert_eq!(
        ix.match_attendee("ana+x@work.example", None, false),
        Outcome::Unmatched
    );
    assert_eq!(
        lookup_keys("Li.Wei+x@GoogleMail.com"),
        vec![
            "li.wei+x@googlemail.com".to_string(),
            "liwei@gmail.com".to_string()
        ]
    );
}

#[test]
fn names_only_suggest_and_handle_accents_and_order() {
    let ix = index();
    assert_eq!(
        suggested(ix.match_attendee("jn@elsewhere.example", Some("Jose Nunez"), false)),
        vec!["jose"]
    );
    assert_eq!(
        suggested(ix.match_attendee("x@elsewhere.example", Some("Núñez, José"), false)),
        vec!["jose"]
    );
    assert_eq!(
        suggested(ix.match_attendee("x@elsewhere.example", Some("Sousa Ana"), false)),
        vec!["ana"]
    );
    assert_eq!(
        suggested(ix.match_attendee("anna.muller@elsewhere.example", None, false)),
        vec!["anna"],
        "first.last addresses give a name"
    );
    match ix.match_attendee("x@elsewhere.example", Some("José Núñez"), false) {
        Outcome::Suggested(list) => {
            assert!(list[0].confidence == 90 && list[0].reason == MatchReason::Name)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ambiguous_names_offer_everyone_close_and_weak_names_nothing() {
    let ix = index();
    let mut both =
        suggested(ix.match_attendee("mg@elsewhere.example", Some("Maria Garcia"), false));
    both.sort();
    assert_eq!(both, vec!["maria1", "maria2"]);
    // A clearly better score wins alone: "Jon Smith" is Jon (1.0), not John (about 0.97).
    assert_eq!(
        suggested(ix.match_attendee("js@elsewhere.example", Some("Jon Smith"), false)),
        vec!["jon"]
    );
    assert!(
        suggested(ix.match_attendee("x@elsewhere.example", Some("Madonna"), false)).is_empty(),
        "single-token names never match"
    );
    assert!(suggested(ix.match_attendee("x@elsewhere.example", Some("Smith"), false)).is_empty());
    assert!(
        suggested(ix.match_attendee("x@elsewhere.example", Some("Anabel Sorensen"), false))
            .is_empty(),
        "below the threshold"
    );
}

#[test]
fn the_users_own_addresses_and_rooms_are_never_matched() {
    let ix = index();
    assert_eq!(
        ix.match_attendee("ana@work.example", Some("Ana Sousa"), true),
        Outcome::Unmatched
    );
    let mut room = attendee("ana@work.example", None);
    room.is_resource = true;
    let mut me = attendee("jose@nunez.example", None);
    me.is_self = true;
    assert!(match_guests(&ix, [room, me]).is_empty());
}

#[test]
fn an_event_links_each_person_once_and_keeps_suggestions_apart() {
    let ix = index();
    let organizer = attendee("ana@work.example", Some("Ana"));
    let attendees = [
        attendee("ANA@work.example", None),
        attendee("ana.sousa@home.example", None),
        attendee("x@y.example", Some("Maria Garcia")),
        attendee("liwei@gmail.com", None),
    ];
    let guests = || std::iter::once(organizer).chain(attendees);
    let matches = match_guests(&ix, guests());
    assert_eq!(
        linked_people(&matches),
        vec!["ana".to_string(), "li".to_string()]
    );
    assert_eq!(matches.iter().filter(|m| m.suggested).count(), 2);
    assert!(guest_keys(guests()).contains(&"liwei@gmail.com".to_string()));
}

#[test]
fn name_helpers() {
    assert_eq!(normalize_name("  Müller, Anna "), "anna muller");
    assert_eq!(normalize_name("\"Dr. Jane Doe\""), "dr jane doe");
    assert_eq!(
        name_from_address("jane.doe+news@x.example").as_deref(),
        Some("jane doe")
    );
    assert_eq!(name_from_address("jdoe@x.example"), None);
    assert_eq!(name_from_address("info2024@x.example"), None);
}

#[test]
fn the_suggestion_cache_stays_bounded_and_still_answers() {
    let index = index();
    for i in 0..super::index::MAX_CACHED_SUGGESTIONS + 10 {
        index.suggest(&format!("Stranger Number{i}"));
    }
    assert!(index.cached_suggestions() <= super::index::MAX_CACHED_SUGGESTIONS);
    let ana = index.suggest("Ana Sousa");
    assert_eq!(ana.first().map(|m| m.person.as_str()), Some("ana"));
}

#[test]
fn my_addresses_are_never_matched_nor_suggested_even_when_a_person_has_them() {
    // "ana@work.example" is also Ana's (the user added themselves as a person once); the
    // user's own Gmail address matches in any spelling.
    let ix = index().with_own(OwnAddresses::new([
        "Ana@Work.example",
        "li.wei@gmail.com",
        "alex", // a CalDAV username: not an address
    ]));
    assert_eq!(
        ix.match_attendee("mailto:ana@work.example", Some("Ana Sousa"), false),
        Outcome::Unmatched,
        "no link"
    );
    assert_eq!(
        ix.match_attendee("LiWei+crm@googlemail.com", Some("Li Wei"), false),
        Outcome::Unmatched,
        "no alias link and no name suggestion"
    );
    assert!(ix.own().contains("liwei@gmail.com"));
    assert!(!ix.own().contains("alex"));
    assert!(!ix.own().contains(""));
    // Everyone else is matched as before.
    assert_eq!(
        linked(ix.match_attendee("jose@nunez.example", None, false)).0,
        "jose"
    );
    let guests = [
        attendee("ana@work.example", Some("Ana Sousa")),
        attendee("ana.sousa@home.example", None),
    ];
    let matches = match_guests(&ix, guests);
    assert_eq!(linked_people(&matches), vec!["ana".to_string()]);
    assert!(matches.iter().all(|m| m.email == "ana.sousa@home.example"));
}

#[test]
fn unknown_guests_are_people_none_of_yours_has_never_you_or_rooms() {
    let index = index().with_own(OwnAddresses::new(["me@home.example"]));
    // An address one of your people has, also as a Gmail spelling: known.
    assert!(!is_unknown(&index, &attendee("ANA@work.example", None)));
    assert!(!is_unknown(
        &index,
        &attendee("liwei+x@googlemail.com", None)
    ));
    // A name suggestion does not make a guest known.
    assert!(is_unknown(
        &index,
        &attendee("js@other.example", Some("Jon Smith"))
    ));
    assert!(is_unknown(&index, &attendee("stranger@else.example", None)));
    // You (by address or as the account), rooms and guests without an address never are.
    assert!(!is_unknown(&index, &attendee("Me@Home.example", None)));
    let account = Guest {
        is_self: true,
        ..attendee("account@provider.example", None)
    };
    assert!(!is_unknown(&index, &account));
    let room = Guest {
        is_resource: true,
        ..attendee("room@rooms.example", None)
    };
    assert!(!is_unknown(&index, &room));
    assert!(!is_unknown(&index, &attendee(" ", None)));
}
