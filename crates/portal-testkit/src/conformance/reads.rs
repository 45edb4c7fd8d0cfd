//! Checks of the reads: lists page in their order, and activity changes no version.

use super::*;
use crate::conformance::writes::standing_agrees;

/// A user's accounts come by account id, a page at a time; a removed member's account is gone from the list.
pub async fn accounts_of_a_user_page_in_order<S: Store>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes {
            users: vec![new_user(1, "owner@example.com")?, new_user(2, "member@example.com")?],
            ..Changes::default()
        })
        .await
        .map_err(err("setup"))?;
    for n in [3, 1, 2] {
        store
            .commit(Changes { accounts: vec![new_account(n, uid(1))?], ..Changes::default() })
            .await
            .map_err(err("open"))?;
    }
    let first = store.accounts_of(uid(1), PageRequest { after: None, limit: 2 }).await.map_err(err("page 1"))?;
    ensure!(first.items == vec![aid(1), aid(2)], "first page {:?}", first.items);
    ensure!(first.next == Some(aid(2)), "first page next {:?}", first.next);
    let second = store.accounts_of(uid(1), PageRequest { after: first.next, limit: 2 }).await.map_err(err("page 2"))?;
    ensure!(
        second.items == vec![aid(3)] && second.next.is_none(),
        "second page {:?} next {:?}",
        second.items,
        second.next
    );

    // The same pages with the owner's standing in each account and its display name.
    let listed = store.memberships_of(uid(1), PageRequest { after: None, limit: 2 }).await.map_err(err("listing 1"))?;
    let rest =
        store.memberships_of(uid(1), PageRequest { after: listed.next, limit: 2 }).await.map_err(err("listing 2"))?;
    ensure!(listed.next == first.next && rest.next.is_none(), "listings page as {:?}, {:?}", listed.next, rest.next);
    for listing in listed.items.iter().chain(&rest.items) {
        let account = store.account(listing.account).await.map_err(err("read"))?.ok_or("listed account")?;
        let access = store.access(listing.account, uid(1)).await.map_err(err("access"))?;
        ensure!(
            Some(&listing.access) == access.as_ref() && listing.display_name == account.profile().display_name,
            "listing of {} differs from its account",
            listing.account
        );
    }
    let ids: Vec<AccountId> = listed.items.iter().chain(&rest.items).map(|l| l.account).collect();
    ensure!(ids == vec![aid(1), aid(2), aid(3)], "listings in order {ids:?}");

    // User 2 joins account 2 by invite, then is removed.
    let account = store.account(aid(2)).await.map_err(err("read"))?.ok_or("account 2")?;
    let invited = decided(&account, uid(1), invite(9, "member@example.com", "tok", Some(uid(2)))?, t0())?;
    let state = invited.state.clone();
    store.commit(Changes { accounts: vec![invited], ..Changes::default() }).await.map_err(err("invite"))?;
    let accept = AccountCommand::AcceptInvite {
        token: TokenDigest::new("tok"),
        email: email("member@example.com")?,
        email_verified: true,
    };
    let events = state.decide(&Actor::User(uid(2)), accept, t0()).map_err(err("accept"))?;
    let mut joined = state.clone();
    for e in &events {
        joined.apply(e);
    }
    store
        .commit(Changes {
            accounts: vec![Saved { state: joined.clone(), expected_version: state.version(), events }],
            ..Changes::default()
        })
        .await
        .map_err(err("accept"))?;
    let member_of =
        store.accounts_of(uid(2), PageRequest { after: None, limit: 10 }).await.map_err(err("member page"))?;
    ensure!(member_of.items == vec![aid(2)], "member's accounts {:?}", member_of.items);
    let edit = AccountCommand::EditMember(EditMember {
        user: uid(2),
        permissions: Some(PermissionSet::of(&[Permission::BillingView])),
        role: None,
        ends_at: None,
    });
    let edited = decided(&joined, uid(1), edit, t0())?;
    let edited_state = edited.state.clone();
    store.commit(Changes { accounts: vec![edited], ..Changes::default() }).await.map_err(err("edit"))?;
    let removed = decided(&edited_state, uid(1), AccountCommand::RemoveMember { user: uid(2) }, t0())?;
    store.commit(Changes { accounts: vec![removed], ..Changes::default() }).await.map_err(err("remove"))?;
    let member_of =
        store.accounts_of(uid(2), PageRequest { after: None, limit: 10 }).await.map_err(err("member page"))?;
    ensure!(member_of.items.is_empty(), "a removed member still lists {:?}", member_of.items);
    Ok(())
}

/// Events come newest first with their sequence numbers, a page at a time below a cursor.
pub async fn events_page_newest_first<S: Store>(store: &S) -> Result<(), Failure> {
    let account = new_account(1, uid(1))?;
    let mut state = account.state.clone();
    store
        .commit(Changes {
            accounts: vec![account],
            users: vec![new_user(1, "o@example.com")?],
            outbox: vec![],
            ..Changes::default()
        })
        .await
        .map_err(err("setup"))?;
    for n in 0..4u128 {
        let saved = decided(
            &state,
            uid(1),
            invite(100 + n, &format!("p{n}@example.com"), &format!("tok{n}"), None)?,
            t0() + Duration::minutes(n as i64),
        )?;
        state = saved.state.clone();
        store.commit(Changes { accounts: vec![saved], ..Changes::default() }).await.map_err(err("invite"))?;
    }
    let first = store.account_events(aid(1), PageRequest { after: None, limit: 2 }).await.map_err(err("page 1"))?;
    let seqs: Vec<u64> = first.items.iter().map(|e| e.seq).collect();
    ensure!(seqs == vec![5, 4], "first page seqs {seqs:?}");
    ensure!(first.next == Some(4), "first page next {:?}", first.next);
    let second =
        store.account_events(aid(1), PageRequest { after: first.next, limit: 10 }).await.map_err(err("page 2"))?;
    let seqs: Vec<u64> = second.items.iter().map(|e| e.seq).collect();
    ensure!(seqs == vec![3, 2, 1], "second page seqs {seqs:?}");
    ensure!(second.next.is_none(), "second page next {:?}", second.next);
    ensure!(
        second.items.last().map(|e| e.event.change.kind()) == Some("account.opened"),
        "the oldest event is not the opening"
    );
    let history = store.account_history(aid(1)).await.map_err(err("history"))?;
    ensure!(
        history.len() == 5 && Account::replay(&history) == Some(state),
        "replaying the history does not give the state"
    );
    Ok(())
}

/// Recording activity or a login changes no version.
pub async fn activity_does_not_change_versions<S: Store>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes {
            accounts: vec![new_account(1, uid(1))?],
            users: vec![new_user(1, "o@example.com")?],
            outbox: vec![],
            ..Changes::default()
        })
        .await
        .map_err(err("setup"))?;
    let later = t0() + Duration::days(3);
    store.record_activity(aid(1), uid(1), later).await.map_err(err("activity"))?;
    store.record_login(uid(1), later).await.map_err(err("login"))?;
    let account = store.account(aid(1)).await.map_err(err("read"))?.ok_or("account")?;
    ensure!(account.version() == 1, "activity bumped the account to version {}", account.version());
    ensure!(account.member(uid(1)).and_then(|m| m.last_active_at()) == Some(later), "activity not recorded");
    let user = store.user(uid(1)).await.map_err(err("read"))?.ok_or("user")?;
    ensure!(user.version() == 1, "a login bumped the user to version {}", user.version());
    ensure!(user.last_login_at() == Some(later), "login not recorded");
    Ok(())
}

/// Members, invites and contacts page by id; notices and events newest first; the operator's
/// account list by id; `access` reads one member's standing.
pub async fn lists_page_by_key<S: Store>(store: &S) -> Result<(), Failure> {
    let users: Vec<_> = (1..=5).map(|n| new_user(n, &format!("u{n}@example.com"))).collect::<Result<_, _>>()?;
    store.commit(Changes { users, ..Changes::default() }).await.map_err(err("users"))?;
    store
        .commit(Changes { accounts: vec![new_account(1, uid(1))?, new_account(2, uid(2))?], ..Changes::default() })
        .await
        .map_err(err("accounts"))?;
    let mut state = store.account(aid(1)).await.map_err(err("read"))?.ok_or("account 1")?;
    let save = |saved: Saved<Account, AccountEvent>, state: &mut Account| {
        *state = saved.state.clone();
        saved
    };
    for n in 2..=5u128 {
        let token = format!("join{n}");
        let invited =
            decided(&state, uid(1), invite(200 + n, &format!("u{n}@example.com"), &token, Some(uid(n)))?, t0())?;
        let invited = save(invited, &mut state);
        store.commit(Changes { accounts: vec![invited], ..Changes::default() }).await.map_err(err("invite"))?;
        let accept = AccountCommand::AcceptInvite {
            token: TokenDigest::new(token),
            email: email(&format!("u{n}@example.com"))?,
            email_verified: true,
        };
        let accepted = decided(&state, uid(n), accept, t0())?;
        let accepted = save(accepted, &mut state);
        store.commit(Changes { accounts: vec![accepted], ..Changes::default() }).await.map_err(err("accept"))?;
    }
    for n in 0..2u128 {
        let open = decided(
            &state,
            uid(1),
            invite(300 + n, &format!("open{n}@example.com"), &format!("open{n}"), None)?,
            t0(),
        )?;
        let open = save(open, &mut state);
        store.commit(Changes { accounts: vec![open], ..Changes::default() }).await.map_err(err("open invite"))?;
    }
    for n in 0..3u128 {
        let contact = AccountCommand::AddContact(NewContact {
            id: ContactId::from_uuid(uuid::Uuid::from_u128(400 + n)),
            name: PersonName::parse("Contact").map_err(|e| e.to_string())?,
            email: email(&format!("c{n}@example.com"))?,
            phone: None,
            company: None,
            categories: portal_domain::notification::CategorySet::ALL,
        });
        let added = decided(&state, uid(1), contact, t0())?;
        let added = save(added, &mut state);
        store.commit(Changes { accounts: vec![added], ..Changes::default() }).await.map_err(err("contact"))?;
    }
    for n in 0..2u128 {
        let notice = AccountCommand::RecordNotice {
            notice: NoticeId::from_uuid(uuid::Uuid::from_u128(500 + n)),
            category: portal_domain::notification::NotificationCategory::Billing,
            subject: CompanyName::parse("Invoice").map_err(|e| e.to_string())?,
            directory: portal_domain::routing::MemberDirectory::default(),
        };
        let events = state.decide(&Actor::Operator, notice, t0()).map_err(err("notice"))?;
        let mut next = state.clone();
        for e in &events {
            next.apply(e);
        }
        let saved = Saved { state: next.clone(), expected_version: state.version(), events };
        state = next;
        store.commit(Changes { accounts: vec![saved], ..Changes::default() }).await.map_err(err("notice"))?;
    }

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.members_page(aid(1), PageRequest { after, limit: 2 }).await.map_err(err("members"))?;
        ensure!(page.items.len() <= 2, "a members page of {} rows", page.items.len());
        seen.extend(page.items.iter().map(|m| m.user()));
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    ensure!(seen == (1..=5).map(uid).collect::<Vec<_>>(), "members paged as {seen:?}");
    // The same pages with who each member is: the memberships of `members_page`, each with its
    // user's email and name.
    let mut after = None;
    loop {
        let request = PageRequest { after, limit: 2 };
        let rows = store.member_rows_page(aid(1), uid(1), request).await.map_err(err("member rows"))?;
        let page = store.members_page(aid(1), request).await.map_err(err("members"))?;
        ensure!(rows.next == page.next, "member rows page on to {:?}, members to {:?}", rows.next, page.next);
        ensure!(
            rows.items.iter().map(|r| &r.membership).eq(page.items.iter()),
            "member rows hold other memberships than the members page"
        );
        for row in &rows.items {
            let user = store.user(row.membership.user()).await.map_err(err("user"))?;
            let user = user.ok_or_else(|| format!("member {} has no user", row.membership.user()))?;
            ensure!(
                &row.email == user.email() && &row.name == user.name(),
                "member row {} names {} <{}>, the user is {} <{}>",
                row.membership.user(),
                row.name,
                row.email,
                user.name(),
                user.email()
            );
            let owner = row.membership.user() == uid(1);
            ensure!(row.is_owner == owner, "member row {} says owner {}", row.membership.user(), row.is_owner);
        }
        after = rows.next;
        if after.is_none() {
            break;
        }
    }
    let invites = store.invites_page(aid(1), PageRequest { after: None, limit: 4 }).await.map_err(err("invites"))?;
    let rest =
        store.invites_page(aid(1), PageRequest { after: invites.next, limit: 4 }).await.map_err(err("invites"))?;
    let ids: Vec<u128> = invites.items.iter().chain(&rest.items).map(|i| i.id().as_uuid().as_u128()).collect();
    ensure!(ids == vec![202, 203, 204, 205, 300, 301], "invites paged as {ids:?}");
    ensure!(rest.next.is_none(), "invites: a next page after the last");
    let contacts =
        store.contacts_page(aid(1), PageRequest { after: None, limit: 10 }).await.map_err(err("contacts"))?;
    ensure!(contacts.items.len() == 3 && contacts.next.is_none(), "{} contacts", contacts.items.len());
    let notices = store.notices_page(aid(1), PageRequest { after: None, limit: 1 }).await.map_err(err("notices"))?;
    ensure!(notices.items.len() == 1 && notices.items[0].id.as_uuid().as_u128() == 501, "newest notice first");
    ensure!(!notices.items[0].recipients.is_empty(), "a notice without its recipients");
    let older =
        store.notices_page(aid(1), PageRequest { after: notices.next, limit: 5 }).await.map_err(err("notices"))?;
    ensure!(
        older.items.len() == 1 && older.items[0].id.as_uuid().as_u128() == 500 && older.next.is_none(),
        "older notices"
    );
    let listing = store.accounts_page(PageRequest { after: None, limit: 1 }).await.map_err(err("accounts"))?;
    ensure!(
        listing.items.len() == 1 && listing.items[0].id == aid(1) && listing.next == Some(aid(1)),
        "first account page"
    );
    let listing = store.accounts_page(PageRequest { after: listing.next, limit: 5 }).await.map_err(err("accounts"))?;
    ensure!(
        listing.items.len() == 1 && listing.items[0].id == aid(2) && listing.items[0].owner == uid(2),
        "second account page"
    );

    let owner = store.access(aid(1), uid(1)).await.map_err(err("access"))?.ok_or("no access for the owner")?;
    ensure!(owner.is_owner && owner.membership.permissions() == PermissionSet::ALL, "the owner's access");
    let member = store.access(aid(1), uid(3)).await.map_err(err("access"))?.ok_or("no access for a member")?;
    ensure!(!member.is_owner && member.membership.permissions() == Role::Billing.permissions(), "a member's access");
    ensure!(member.owner == uid(1) && owner.owner == uid(1), "access names the wrong owner");
    ensure!(store.access(aid(1), uid(99)).await.map_err(err("access"))?.is_none(), "access for a stranger");
    ensure!(store.access(aid(99), uid(1)).await.map_err(err("access"))?.is_none(), "access to a missing account");
    // The owner, a member, a member of the other account only, no such user, no such account.
    for (account, user) in [(aid(1), uid(1)), (aid(1), uid(3)), (aid(2), uid(3)), (aid(1), uid(99)), (aid(99), uid(1))]
    {
        standing_agrees(store, account, user).await?;
    }
    ensure!(
        store.standing(aid(1), uid(3)).await.map_err(err("standing"))?.is_some_and(|(_, a)| a.is_some()),
        "a member has no standing"
    );
    ensure!(
        store.standing(aid(2), uid(3)).await.map_err(err("standing"))?.is_some_and(|(_, a)| a.is_none()),
        "a member of another account has access"
    );
    ensure!(store.standing(aid(1), uid(99)).await.map_err(err("standing"))?.is_none(), "no such user has a standing");

    let waiting = store.open_invites_for(&email("OPEN1@example.com")?, 10).await.map_err(err("open invites"))?;
    ensure!(
        waiting.len() == 1 && waiting[0].0 == aid(1) && waiting[0].1.id().as_uuid().as_u128() == 301,
        "open invites for open1: {waiting:?}"
    );
    let answered = store.open_invites_for(&email("u3@example.com")?, 10).await.map_err(err("open invites"))?;
    ensure!(answered.is_empty(), "an accepted invite is listed as open");
    let open = store.open_invites_of(aid(1), 10).await.map_err(err("an account's open invites"))?;
    ensure!(
        open.iter().any(|i| i.id().as_uuid().as_u128() == 301)
            && open.iter().all(|i| i.is_open() && i.email().as_str() != "u3@example.com")
            && open.windows(2).all(|w| w[0].id() < w[1].id()),
        "the open invites of account 1: {open:?}"
    );
    ensure!(
        store
            .open_invites_of(aid(2), 10)
            .await
            .map_err(err("open invites"))?
            .iter()
            .all(|i| i.email().as_str() != "open1@example.com"),
        "another account's invite is listed"
    );

    let about = store
        .target_events(aid(1), Target::Member(uid(3)), PageRequest { after: None, limit: 10 })
        .await
        .map_err(err("target"))?;
    let kinds: Vec<&str> = about.items.iter().map(|e| e.event.change.kind()).collect();
    ensure!(kinds == vec!["invite.accepted"], "events about member 3: {kinds:?}");
    Ok(())
}
