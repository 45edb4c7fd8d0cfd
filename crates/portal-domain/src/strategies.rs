//! Proptest strategies for every domain value, aggregate and command (feature `proptest`), for
//! this crate's properties and for other teams' suites.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;

use crate::account::{
    Account, AccountCommand, ContactPatch, EditMember, InviteMember, InviteOffer, NewContact, Profile, ProfilePatch,
    open_account,
};
use crate::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use crate::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use crate::permission::{Permission, PermissionSet, Role};
use crate::routing::{MemberAddress, MemberDirectory};
use crate::user::{Registration, User, UserCommand, register_user};
use crate::values::{
    CompanyName, EmailAddress, PasswordHash, PersonName, PhoneNumber, PostalAddress, PostalAddressInput, RoleLabel,
    TaxId, TokenDigest,
};

/// Any UUID, wrapped.
pub fn uuid() -> impl Strategy<Value = uuid::Uuid> {
    any::<u128>().prop_map(uuid::Uuid::from_u128)
}

/// Account ids.
pub fn account_id() -> impl Strategy<Value = AccountId> {
    uuid().prop_map(AccountId::from_uuid)
}

/// User ids.
pub fn user_id() -> impl Strategy<Value = UserId> {
    uuid().prop_map(UserId::from_uuid)
}

/// Invite ids.
pub fn invite_id() -> impl Strategy<Value = InviteId> {
    uuid().prop_map(InviteId::from_uuid)
}

/// Contact ids.
pub fn contact_id() -> impl Strategy<Value = ContactId> {
    uuid().prop_map(ContactId::from_uuid)
}

/// Instants in 2026-2030, to the second.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4 * 365 * 86_400).prop_map(|s| base_instant() + Duration::seconds(s))
}

fn base_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Valid email addresses, in mixed case.
pub fn email() -> impl Strategy<Value = EmailAddress> {
    (
        "[a-zA-Z][a-zA-Z0-9._+-]{0,20}[a-zA-Z0-9]",
        "[a-z][a-z0-9-]{0,10}[a-z0-9]",
        select(vec!["com", "org", "co.uk", "de", "io"]),
    )
        .prop_filter_map("a valid address", |(local, host, tld)| {
            EmailAddress::parse(&format!("{local}@{host}.{tld}")).ok()
        })
}

/// Valid person names, including non-ASCII letters.
pub fn person_name() -> impl Strategy<Value = PersonName> {
    "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ '.-]{0,40}".prop_filter_map("a valid name", |s| PersonName::parse(&s).ok())
}

/// Valid company names.
pub fn company_name() -> impl Strategy<Value = CompanyName> {
    "[A-Za-z0-9][A-Za-z0-9 &.,'-]{0,60}".prop_filter_map("a valid company", |s| CompanyName::parse(&s).ok())
}

/// Valid role labels.
pub fn role_label() -> impl Strategy<Value = RoleLabel> {
    prop_oneof![
        select(Role::ALL.to_vec()).prop_map(|r| r.key().to_owned()),
        "[A-Za-z][A-Za-z -]{0,30}".prop_map(|s| s),
    ]
    .prop_filter_map("a valid label", |s| RoleLabel::parse(&s).ok())
}

/// Valid phone numbers, typed with separators.
pub fn phone() -> impl Strategy<Value = PhoneNumber> {
    ("[1-9][0-9]{0,2}", "[0-9]{6,11}")
        .prop_filter_map("a valid number", |(cc, rest)| PhoneNumber::parse(&format!("+{cc} {rest}")).ok())
}

/// Valid postal addresses.
pub fn postal_address() -> impl Strategy<Value = PostalAddress> {
    (
        proptest::collection::vec("[A-Za-z0-9][A-Za-z0-9 ,.-]{0,40}", 1..=3),
        "[A-Za-z][A-Za-z -]{0,30}",
        proptest::option::of("[A-Z]{2}"),
        proptest::option::of("[A-Z0-9]{3,8}"),
        select(crate::values::CountryCode::all().collect::<Vec<_>>()),
    )
        .prop_filter_map("a valid address", |(lines, city, region, postal_code, country)| {
            PostalAddress::parse(&PostalAddressInput { lines, city, region, postal_code, country: country.to_owned() })
                .ok()
        })
}

/// Valid tax ids.
pub fn tax_id() -> impl Strategy<Value = TaxId> {
    "[A-Z]{2}[0-9]{6,12}".prop_filter_map("a valid tax id", |s| TaxId::parse(&s).ok())
}

/// Passphrases that meet the policy for any address these strategies make (they contain no `@`
/// and are long and random enough to be on no list).
pub fn passphrase() -> impl Strategy<Value = String> {
    "[a-z]{4,8}( [a-z]{4,8}){3,5}"
}

/// Any permission.
pub fn permission() -> impl Strategy<Value = Permission> {
    select(Permission::ALL.to_vec())
}

/// Any set of permissions.
pub fn permission_set() -> impl Strategy<Value = PermissionSet> {
    (0u16..=PermissionSet::ALL.bits()).prop_filter_map("in range", PermissionSet::from_bits)
}

/// Any role.
pub fn role() -> impl Strategy<Value = Role> {
    select(Role::ALL.to_vec())
}

/// Any notification category.
pub fn category() -> impl Strategy<Value = NotificationCategory> {
    select(NotificationCategory::ALL.to_vec())
}

/// Any set of categories.
pub fn category_set() -> impl Strategy<Value = CategorySet> {
    any::<u8>().prop_map(CategorySet::from_bits)
}

/// Valid preferences (security never opted out of).
pub fn preferences() -> impl Strategy<Value = NotificationPreferences> {
    category_set().prop_filter_map("security stays on", |set| {
        let without_security: CategorySet = set.iter().filter(|c| c.can_opt_out()).collect();
        NotificationPreferences::opting_out_of(without_security).ok()
    })
}

/// Opaque token digests.
pub fn token_digest() -> impl Strategy<Value = TokenDigest> {
    "[0-9a-f]{16}".prop_map(TokenDigest::new)
}

/// Account profiles.
pub fn profile() -> impl Strategy<Value = Profile> {
    (
        company_name(),
        proptest::option::of(company_name()),
        email(),
        proptest::option::of(phone()),
        proptest::option::of(postal_address()),
        proptest::option::of(tax_id()),
    )
        .prop_map(|(display_name, company, primary_email, phone, address, tax_id)| Profile {
            display_name,
            company,
            primary_email,
            phone,
            address,
            tax_id,
        })
}

/// Profile patches, each field left, set or cleared.
pub fn profile_patch() -> impl Strategy<Value = ProfilePatch> {
    (
        proptest::option::of(company_name()),
        proptest::option::of(proptest::option::of(company_name())),
        proptest::option::of(email()),
        proptest::option::of(proptest::option::of(phone())),
        proptest::option::of(proptest::option::of(postal_address())),
        proptest::option::of(proptest::option::of(tax_id())),
    )
        .prop_map(|(display_name, company, primary_email, phone, address, tax_id)| ProfilePatch {
            display_name,
            company,
            primary_email,
            phone,
            address,
            tax_id,
        })
}

/// Contact patches.
pub fn contact_patch() -> impl Strategy<Value = ContactPatch> {
    (
        proptest::option::of(person_name()),
        proptest::option::of(email()),
        proptest::option::of(proptest::option::of(phone())),
        proptest::option::of(proptest::option::of(company_name())),
        proptest::option::of(category_set()),
    )
        .prop_map(|(name, email, phone, company, categories)| ContactPatch {
            name,
            email,
            phone,
            company,
            categories,
        })
}

/// A freshly registered user.
pub fn user() -> impl Strategy<Value = User> {
    (user_id(), email(), person_name(), any::<bool>(), instant()).prop_filter_map(
        "registered",
        |(id, email, name, email_verified, at)| {
            User::from_registered(&register_user(
                Registration { id, email, name, password: PasswordHash::new("strategy-hash"), email_verified },
                at,
            ))
        },
    )
}

/// A freshly opened account.
pub fn account() -> impl Strategy<Value = Account> {
    (account_id(), user_id(), profile(), instant()).prop_filter_map("opened", |(id, owner, profile, at)| {
        Account::from_opened(&open_account(id, owner, profile, at))
    })
}

/// User commands (any actor may be refused them).
pub fn user_command() -> impl Strategy<Value = UserCommand> {
    prop_oneof![
        (proptest::option::of(person_name()), proptest::option::of(proptest::option::of(phone())))
            .prop_map(|(name, phone)| UserCommand::UpdateProfile { name, phone }),
        preferences().prop_map(UserCommand::SetPreferences),
        Just(UserCommand::VerifyEmail),
        Just(UserCommand::ChangePassword(PasswordHash::new("strategy-hash-2"))),
        Just(UserCommand::Disable),
    ]
}

/// Account commands over arbitrary ids: most will name nothing that exists, which is the point
/// for refusal properties. For commands over an account's real members and invites, pick ids
/// from the account and build commands with the types of [`crate::account`].
pub fn account_command() -> impl Strategy<Value = AccountCommand> {
    prop_oneof![
        profile_patch().prop_map(AccountCommand::UpdateProfile),
        (
            invite_id(),
            email(),
            proptest::option::of(person_name()),
            permission_set(),
            proptest::option::of(role_label()),
            token_digest(),
            proptest::option::of(user_id())
        )
            .prop_map(|(id, email, name, permissions, role, token, existing_user)| AccountCommand::Invite(
                InviteMember {
                    id,
                    offer: InviteOffer { email, name, permissions, role, access_ends_at: None },
                    token,
                    existing_user
                }
            )),
        (invite_id(), token_digest()).prop_map(|(invite, token)| AccountCommand::ResendInvite { invite, token }),
        invite_id().prop_map(|invite| AccountCommand::CancelInvite { invite }),
        (token_digest(), email(), any::<bool>())
            .prop_map(|(token, email, email_verified)| AccountCommand::AcceptInvite { token, email, email_verified }),
        token_digest().prop_map(|token| AccountCommand::DeclineInvite { token }),
        (user_id(), proptest::option::of(permission_set()), proptest::option::of(proptest::option::of(role_label())))
            .prop_map(|(user, permissions, role)| AccountCommand::EditMember(EditMember {
                user,
                permissions,
                role,
                ends_at: None
            })),
        user_id().prop_map(|user| AccountCommand::RemoveMember { user }),
        Just(AccountCommand::Leave),
        user_id().prop_map(|to| AccountCommand::TransferOwnership { to }),
        (user_id(), any::<bool>())
            .prop_map(|(to, remove_previous)| AccountCommand::ReassignOwner { to, remove_previous }),
        Just(AccountCommand::Close),
        (contact_id(), person_name(), email(), category_set()).prop_map(|(id, name, email, categories)| {
            AccountCommand::AddContact(NewContact { id, name, email, phone: None, company: None, categories })
        }),
        (contact_id(), contact_patch()).prop_map(|(contact, patch)| AccountCommand::EditContact { contact, patch }),
        contact_id().prop_map(|contact| AccountCommand::RemoveContact { contact }),
        (proptest::collection::vec(user_id(), 0..3), proptest::collection::vec(user_id(), 0..3))
            .prop_map(|(confirmed, removed)| AccountCommand::RecordAccessReview { confirmed, removed }),
        (uuid(), category(), company_name()).prop_map(|(n, category, subject)| AccountCommand::RecordNotice {
            notice: NoticeId::from_uuid(n),
            category,
            subject,
            directory: MemberDirectory::default()
        }),
    ]
}

/// A member directory for the given users, with random addresses and preferences.
pub fn directory_for(users: Vec<UserId>) -> impl Strategy<Value = MemberDirectory> {
    let n = users.len();
    (proptest::collection::vec((email(), preferences(), proptest::bool::weighted(0.1)), n)).prop_map(move |entries| {
        MemberDirectory::new(users.iter().zip(entries).map(|(user, (email, preferences, disabled))| MemberAddress {
            user: *user,
            email,
            preferences,
            disabled,
        }))
    })
}

/// An account with up to `max_members` members who joined through real invites (each with a
/// random permission set, never the master profile), some open invites and some contacts.
/// Built with `decide`, so it satisfies every invariant.
pub fn populated_account(max_members: usize) -> impl Strategy<Value = Account> {
    (
        account(),
        proptest::collection::vec((user_id(), email(), permission_set()), 0..=max_members),
        proptest::collection::vec((email(), permission_set()), 0..3),
        proptest::collection::vec((person_name(), email(), category_set()), 0..4),
    )
        .prop_map(|(mut account, members, invites, contacts)| {
            let owner = crate::actor::Actor::User(account.owner());
            let at = account.created_at();
            let mut next_id = 1u128;
            let run = |account: &mut Account, actor: &crate::actor::Actor, command: AccountCommand| {
                if let Ok(events) = account.decide(actor, command, at) {
                    for e in &events {
                        account.apply(e);
                    }
                }
            };
            for (user, email, permissions) in members {
                next_id += 1;
                let token = TokenDigest::new(format!("member-{next_id}"));
                let permissions = permissions.without(Permission::AccountProfileManage);
                let invite = InviteMember {
                    id: InviteId::from_uuid(uuid::Uuid::from_u128(next_id)),
                    offer: InviteOffer {
                        email: email.clone(),
                        name: None,
                        permissions,
                        role: None,
                        access_ends_at: None,
                    },
                    token: token.clone(),
                    existing_user: Some(user),
                };
                run(&mut account, &owner, AccountCommand::Invite(invite));
                let accept = AccountCommand::AcceptInvite { token, email, email_verified: true };
                run(&mut account, &crate::actor::Actor::User(user), accept);
            }
            for (email, permissions) in invites {
                next_id += 1;
                let invite = InviteMember {
                    id: InviteId::from_uuid(uuid::Uuid::from_u128(next_id)),
                    offer: InviteOffer { email, name: None, permissions, role: None, access_ends_at: None },
                    token: TokenDigest::new(format!("open-{next_id}")),
                    existing_user: None,
                };
                run(&mut account, &owner, AccountCommand::Invite(invite));
            }
            for (name, email, categories) in contacts {
                next_id += 1;
                let contact = NewContact {
                    id: ContactId::from_uuid(uuid::Uuid::from_u128(next_id)),
                    name,
                    email,
                    phone: None,
                    company: None,
                    categories,
                };
                run(&mut account, &owner, AccountCommand::AddContact(contact));
            }
            account
        })
}
