//! One scripted flow that makes every kind of event, run through the use cases on the
//! in-memory store and on the SQL stores: every account, user and history must come out equal.
//! This is what proves the row writes (only the rows the events touched) lose nothing.

use chrono::{DateTime, Duration, Utc};
use portal_domain::Actor;
use portal_domain::account::{ContactPatch, EditMember, ProfilePatch};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use portal_domain::permission::{Permission, Role};
use portal_domain::ports::{Message, PageRequest, SessionStore, Store};
use portal_domain::service::{Confirmed, ContactRequest, InviteOffer, Portal, Proof, SignedUp, Signup};
use portal_domain::values::{
    CompanyName, EmailAddress, PersonName, PhoneNumber, PostalAddress, PostalAddressInput, RoleLabel, TaxId,
};
use portal_testkit::memory::{InsecureHasher, ManualClock, MemoryStore, client_at, deterministic_portal};

use crate::support;

const PASSWORD: &str = "correct horse battery staple";

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

struct Outcome {
    accounts: Vec<AccountId>,
    users: Vec<UserId>,
}

async fn token_for<S: Store + SessionStore>(
    portal: &Portal<S, InsecureHasher>,
    sent: &[(String, String)],
    to: &str,
) -> String {
    let _ = portal;
    sent.iter().rev().find(|(address, _)| address == to).map(|(_, t)| t.clone()).unwrap()
}

/// Signs up and follows the mailed verification link: the user and their account.
async fn verified<S: Store + SessionStore>(
    portal: &Portal<S, InsecureHasher>,
    outbox: &impl AsyncFn() -> Vec<(String, String)>,
    signup: Signup,
) -> (UserId, AccountId) {
    let client = client_at("client");
    let to = signup.email.as_str().to_owned();
    let SignedUp::Registered { user, account } = portal.signup(&client, signup).await.unwrap() else { panic!() };
    let token = token_for(portal, &outbox().await, &to).await;
    portal.verify_email(&client, &token).await.unwrap();
    (user.id(), account.id())
}

/// Signs in as `address` and confirms it with the password, for a sensitive change.
async fn confirmed<S: Store + SessionStore>(portal: &Portal<S, InsecureHasher>, address: &str) -> Confirmed {
    let client = client_at("client");
    let (login, session) = portal.sign_in(&client, address, PASSWORD).await.unwrap().into_session().unwrap();
    let proof = Proof { password: Some(PASSWORD), code: None };
    portal.confirm_sensitive(&client, session.id, login.user.id(), proof).await.unwrap()
}

/// Runs the flow; `outbox` reads the link tokens sent so far (to, token).
async fn flow<S: Store + SessionStore>(
    portal: &Portal<S, InsecureHasher>,
    clock: &ManualClock,
    outbox: impl AsyncFn() -> Vec<(String, String)>,
) -> Outcome {
    let signup = |address: &str, name: &str, account: &str| Signup {
        email: email(address),
        name: PersonName::parse(name).unwrap(),
        password: PASSWORD.into(),
        account_name: CompanyName::parse(account).unwrap(),
        company: None,
    };
    let (ann, acme) = verified(portal, &outbox, signup("ann@acme.example", "Ann", "Acme")).await;
    let (dana, _) = verified(portal, &outbox, signup("dana@studio.example", "Dana", "Studio")).await;
    let owner = Actor::User(ann);
    clock.advance(Duration::minutes(5));

    let patch = ProfilePatch {
        company: Some(Some(CompanyName::parse("Acme Limited").unwrap())),
        phone: Some(Some(PhoneNumber::parse("+44 20 7946 0000").unwrap())),
        address: Some(Some(
            PostalAddress::parse(&PostalAddressInput {
                lines: vec!["1 High Street".into(), "Floor 2".into()],
                city: "London".into(),
                region: None,
                postal_code: Some("SW1A 1AA".into()),
                country: "GB".into(),
            })
            .unwrap(),
        )),
        tax_id: Some(Some(TaxId::parse("GB123456789").unwrap())),
        ..ProfilePatch::default()
    };
    portal.update_profile(&owner, acme, patch, None).await.unwrap();

    let invite = |address: &str, role: Role| InviteOffer {
        email: email(address),
        name: Some(PersonName::parse("Teammate").unwrap()),
        permissions: role.permissions(),
        role: Some(RoleLabel::parse(role.key()).unwrap()),
        access_ends_at: None,
    };
    portal.invite(&owner, acme, invite("bob@acme.example", Role::Billing)).await.unwrap();
    portal.invite(&owner, acme, invite("dana@studio.example", Role::Technical)).await.unwrap();
    let olga = portal.invite(&owner, acme, invite("olga@acme.example", Role::Admin)).await.unwrap();
    let sam = portal.invite(&owner, acme, invite("sam@agency.example", Role::ReadOnly)).await.unwrap();
    portal.invite(&owner, acme, invite("zed@nowhere.example", Role::ReadOnly)).await.unwrap();
    clock.advance(Duration::hours(1));
    portal.resend_invite(&owner, acme, olga.id()).await.unwrap();
    portal.cancel_invite(&owner, acme, sam.id()).await.unwrap();

    let sent = outbox().await;
    let bob = portal
        .accept_invite_as_new_user(
            &client_at("client"),
            &token_for(portal, &sent, "bob@acme.example").await,
            PersonName::parse("Bob").unwrap(),
            PASSWORD,
        )
        .await
        .unwrap();
    portal.accept_invite(dana, &token_for(portal, &sent, "dana@studio.example").await).await.unwrap();
    let olga_user = portal
        .accept_invite_as_new_user(
            &client_at("client"),
            &token_for(portal, &sent, "olga@acme.example").await,
            PersonName::parse("Olga").unwrap(),
            PASSWORD,
        )
        .await
        .unwrap();
    portal.decline_invite(&token_for(portal, &sent, "zed@nowhere.example").await).await.unwrap();
    let (bob, olga_user) = (bob.login.user.id(), olga_user.login.user.id());
    clock.advance(Duration::days(1));

    let edit = EditMember {
        user: bob,
        permissions: Some(Role::Billing.permissions().without(Permission::BillingPay)),
        role: Some(None),
        ends_at: Some(Some(portal.now() + Duration::days(60))),
    };
    portal.edit_member(&owner, acme, edit, None).await.unwrap();
    let contact = portal
        .add_contact(
            &owner,
            acme,
            ContactRequest {
                name: PersonName::parse("Finance").unwrap(),
                email: email("finance@acme.example"),
                phone: None,
                company: None,
                categories: CategorySet::of(&[NotificationCategory::Billing]),
            },
        )
        .await
        .unwrap();
    let news = portal
        .add_contact(
            &owner,
            acme,
            ContactRequest {
                name: PersonName::parse("News").unwrap(),
                email: email("news@acme.example"),
                phone: None,
                company: Some(CompanyName::parse("Acme").unwrap()),
                categories: CategorySet::of(&[NotificationCategory::ProductNews]),
            },
        )
        .await
        .unwrap();
    portal
        .edit_contact(
            &owner,
            acme,
            contact.id(),
            ContactPatch {
                phone: Some(Some(PhoneNumber::parse("+44 20 7946 0001").unwrap())),
                ..ContactPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    portal.remove_contact(&owner, acme, news.id()).await.unwrap();
    portal
        .send_notice(acme, NotificationCategory::Billing, CompanyName::parse("Invoice INV-1").unwrap())
        .await
        .unwrap();
    let prefs = NotificationPreferences::opting_out_of(CategorySet::of(&[NotificationCategory::Promotions])).unwrap();
    portal.set_preferences(bob, prefs, None).await.unwrap();
    portal
        .update_me(
            bob,
            Some(PersonName::parse("Bob B").unwrap()),
            Some(Some(PhoneNumber::parse("+49 30 1234567").unwrap())),
            None,
        )
        .await
        .unwrap();
    clock.advance(Duration::days(1));

    portal.transfer_ownership(&confirmed(portal, "ann@acme.example").await, acme, olga_user).await.unwrap();
    portal.record_access_review(&Actor::User(olga_user), acme, vec![bob], vec![dana]).await.unwrap();
    portal.leave(&Actor::User(ann), acme).await.unwrap();
    portal.reassign_owner(acme, bob, true).await.unwrap();
    portal.disable_user(olga_user).await.unwrap();
    let (_, second) = verified(portal, &outbox, signup("eve@else.example", "Eve", "Else")).await;
    portal.close_account(&confirmed(portal, "bob@acme.example").await, acme).await.unwrap();
    let eve = portal.store().account(second).await.unwrap().unwrap().owner();
    portal.store().record_activity(second, eve, portal.now()).await.unwrap();
    Outcome { accounts: vec![acme, second], users: vec![ann, dana, bob, olga_user, eve] }
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc()
}

fn tokens(mail: Vec<portal_domain::ports::OutgoingEmail>) -> Vec<(String, String)> {
    mail.into_iter().filter_map(|m| Some((m.to.as_str().to_owned(), m.message.token()?.to_owned()))).collect()
}

async fn compare(sql: portal_store::SqlStore, url: &str) {
    let (memory, clock) = deterministic_portal(MemoryStore::new(), start());
    let expected = flow(&memory, &clock, async || tokens(memory.store().outbox())).await;

    let (stored, clock) = deterministic_portal(sql, start());
    let raw = support::raw(url).await;
    let got = flow(&stored, &clock, async || outbox_tokens(&raw).await).await;
    assert_eq!(expected.accounts, got.accounts);
    assert_eq!(expected.users, got.users);

    for id in &expected.accounts {
        let want = memory.store().account(*id).await.unwrap().unwrap();
        let have = stored.store().account(*id).await.unwrap().unwrap();
        assert_eq!(have, want, "account {id} differs");
        assert_eq!(
            stored.store().account_history(*id).await.unwrap(),
            memory.store().account_history(*id).await.unwrap()
        );
        let page = PageRequest { after: None, limit: 1000 };
        assert_eq!(
            stored.store().account_events(*id, page).await.unwrap(),
            memory.store().account_events(*id, page).await.unwrap()
        );
    }
    // The reads every request makes (on SQLite, the in-line readers' part).
    assert_eq!(
        sorted(stored.store().users(&expected.users).await.unwrap()),
        sorted(memory.store().users(&expected.users).await.unwrap())
    );
    for account in &expected.accounts {
        let owner = memory.store().account(*account).await.unwrap().unwrap().owner();
        for limit in [1, 2, 200] {
            let mut after = None;
            loop {
                let page = PageRequest { after, limit };
                let want = memory.store().members_page(*account, page).await.unwrap();
                assert_eq!(stored.store().members_page(*account, page).await.unwrap(), want);
                assert_eq!(
                    stored.store().member_rows_page(*account, owner, page).await.unwrap(),
                    memory.store().member_rows_page(*account, owner, page).await.unwrap()
                );
                match want.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        for user in &expected.users {
            assert_eq!(
                stored.store().access(*account, *user).await.unwrap(),
                memory.store().access(*account, *user).await.unwrap()
            );
        }
    }
    for id in &expected.users {
        let want = memory.store().user(*id).await.unwrap().unwrap();
        let have = stored.store().user(*id).await.unwrap().unwrap();
        assert_eq!(have, want, "user {id} differs");
        assert_eq!(stored.store().user_events(*id).await.unwrap(), memory.store().user_events(*id).await.unwrap());
        let page = PageRequest { after: None, limit: 10 };
        assert_eq!(
            stored.store().accounts_of(*id, page).await.unwrap(),
            memory.store().accounts_of(*id, page).await.unwrap()
        );
        assert_eq!(
            stored.store().memberships_of(*id, page).await.unwrap(),
            memory.store().memberships_of(*id, page).await.unwrap()
        );
    }
    let mail: usize = sea_orm::ConnectionTrait::query_all_raw(
        &raw,
        sea_orm::Statement::from_string(raw.get_database_backend(), "SELECT id FROM outbox"),
    )
    .await
    .unwrap()
    .len();
    assert_eq!(mail, memory.store().outbox().len(), "outbox rows");
}

fn sorted(mut users: Vec<portal_domain::user::User>) -> Vec<portal_domain::user::User> {
    users.sort_by_key(|u| u.id());
    users
}

pub(crate) async fn outbox_tokens(raw: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = raw
        .query_all_raw(Statement::from_string(
            raw.get_database_backend(),
            "SELECT recipient, payload FROM outbox ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .filter_map(|r| {
            let to: String = r.try_get_by_index(0).unwrap();
            let payload: String = r.try_get_by_index(1).unwrap();
            Some((to, serde_json::from_str::<Message>(&payload).unwrap().token()?.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn sqlite_stores_exactly_what_the_core_decided() {
    let (store, url) = support::sqlite().await;
    compare(store, &url).await;
}

#[tokio::test]
async fn sqlite_without_inline_reads_stores_exactly_what_the_core_decided() {
    let (store, url) = support::sqlite().await;
    compare(store.without_inline_reads(), &url).await;
}

#[tokio::test]
async fn postgres_stores_exactly_what_the_core_decided() {
    let Some(base) = support::postgres_url() else { return };
    let (store, url) = support::postgres(&base).await;
    compare(store, &url).await;
}
