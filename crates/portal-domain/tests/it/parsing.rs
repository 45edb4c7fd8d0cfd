//! Values never panic on any input, and what parses round-trips through its text form.

use portal_domain::values::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_input_panics_a_parser(raw in any::<String>()) {
        let _ = EmailAddress::parse(&raw);
        let _ = PersonName::parse(&raw);
        let _ = CompanyName::parse(&raw);
        let _ = RoleLabel::parse(&raw);
        let _ = PhoneNumber::parse(&raw);
        let _ = TaxId::parse(&raw);
        let _ = CountryCode::parse(&raw);
        let _ = portal_domain::permission::Permission::from_key(&raw);
        let _ = portal_domain::notification::NotificationCategory::from_key(&raw);
        let _ = raw.parse::<portal_domain::ids::UserId>();
        if let Ok(e) = EmailAddress::parse("someone@example.com") {
            let _ = Password::parse(&raw, &e);
        }
        let _ = PostalAddress::parse(&PostalAddressInput {
            lines: vec![raw.clone()], city: raw.clone(), region: Some(raw.clone()), postal_code: Some(raw.clone()), country: raw.clone(),
        });
    }

    #[test]
    fn email_like_input_never_panics(raw in "[ a-zA-Z0-9.@+_\\-\u{e9}\u{c9}\u{0}\t]{0,300}") {
        if let Ok(e) = EmailAddress::parse(&raw) {
            prop_assert!(e.as_str().chars().count() <= EmailAddress::MAX_CHARS);
            prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
            // The comparison key is always the lower-cased address, shared or not.
            prop_assert_eq!(e.normalized(), e.as_str().to_lowercase());
        }
    }

    #[test]
    fn parsed_values_round_trip(
        email in portal_domain::strategies::email(),
        name in portal_domain::strategies::person_name(),
        phone in portal_domain::strategies::phone(),
        tax in portal_domain::strategies::tax_id(),
        address in portal_domain::strategies::postal_address(),
    ) {
        prop_assert_eq!(EmailAddress::parse(email.as_str()), Ok(email.clone()));
        prop_assert_eq!(PersonName::parse(name.as_str()), Ok(name));
        prop_assert_eq!(PhoneNumber::parse(phone.as_str()), Ok(phone.clone()));
        prop_assert_eq!(TaxId::parse(tax.as_str()), Ok(tax.clone()));
        prop_assert_eq!(PostalAddress::parse(&address.to_input()), Ok(address.clone()));
    }

    #[test]
    fn an_address_in_any_case_has_the_lower_case_key(
        e in portal_domain::strategies::email(),
        upper in proptest::collection::vec(any::<bool>(), 0..64),
        accent in any::<bool>(),
    ) {
        let mut mixed: String = e
            .as_str()
            .chars()
            .enumerate()
            .map(|(i, c)| if upper.get(i).copied().unwrap_or(false) { c.to_ascii_uppercase() } else { c })
            .collect();
        if accent {
            mixed.insert(0, '\u{c9}');
        }
        let parsed = EmailAddress::parse(&mixed).unwrap();
        prop_assert_eq!(parsed.as_str(), mixed.as_str());
        prop_assert_eq!(parsed.normalized(), mixed.to_lowercase());
    }

    #[test]
    fn a_phone_number_is_e164(raw in "\\+?[0-9 ()-]{0,25}") {
        if let Ok(p) = PhoneNumber::parse(&raw) {
            let digits = &p.as_str()[1..];
            prop_assert!(p.as_str().starts_with('+'));
            prop_assert!((7..=15).contains(&digits.len()));
            prop_assert!(digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0'));
        }
    }

    #[test]
    fn generated_passphrases_meet_the_policy(p in portal_domain::strategies::passphrase(), e in portal_domain::strategies::email()) {
        // A passphrase may contain a short local part by chance; only that refusal is allowed.
        match Password::parse(&p, &e) {
            Ok(_) | Err(PasswordError::ContainsEmail) => {}
            Err(other) => prop_assert!(false, "{p:?} refused: {other}"),
        }
    }

    #[test]
    fn permission_sets_round_trip_through_keys_and_bits(set in portal_domain::strategies::permission_set()) {
        prop_assert_eq!(portal_domain::permission::PermissionSet::from_keys(set.keys()), Ok(set));
        prop_assert_eq!(portal_domain::permission::PermissionSet::from_bits(set.bits()), Some(set));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    /// The one-pass check for plain addresses agrees with the general checks: compared here
    /// through `parse` on inputs built to sit near every rule's edge.
    #[test]
    fn plain_and_general_checks_agree(
        local in "[a-zA-Z0-9.+_\\-@\"(: ]{0,70}",
        labels in proptest::collection::vec("[a-zA-Z0-9\\-]{0,8}|xn--[a-z0-9]{1,4}|[0-9]{1,3}", 0..4),
        pad in "[ \t]{0,2}",
    ) {
        let raw = format!("{pad}{local}@{}{pad}", labels.join("."));
        let parsed = EmailAddress::parse(&raw);
        // Unicode-aware reference: the same rules, char by char.
        let trimmed = raw.trim();
        let reference = trimmed.rsplit_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && l.chars().count() <= 64 && trimmed.chars().count() <= 254
                && l.chars().all(|c| !(c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c)))
                && !l.starts_with('.') && !l.ends_with('.') && !l.contains("..")
                && d.split('.').count() >= 2
                && d.split('.').all(|x| !x.is_empty() && x.chars().count() <= 63 && !x.starts_with('-') && !x.ends_with('-')
                    && x.chars().all(|c| c.is_alphanumeric() || c == '-'))
                && d.rsplit('.').next().is_some_and(|t| t.chars().all(char::is_alphabetic) || t.starts_with("xn--"))
        });
        prop_assert_eq!(parsed.is_ok(), reference, "{:?}", raw);
        if let Ok(e) = parsed {
            prop_assert_eq!(e.as_str(), trimmed);
            prop_assert_eq!(e.normalized(), trimmed.to_lowercase());
        }
    }
}
