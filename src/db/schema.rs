//! One schema for both backends. Written by hand: the SQL types are the subset
//! that diesel's `MultiConnection` supports on SQLite and PostgreSQL alike.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    departments (code) {
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        roles -> Text,
        department -> Nullable<Text>,
        email -> Nullable<Text>,
        active -> Bool,
        failed_logins -> Integer,
        created_at -> Timestamp,
        sessions_valid_after -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_tokens (token_hash) {
        token_hash -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    releases (id) {
        id -> Text,
        title -> Text,
        description -> Text,
        department -> Text,
        co_departments -> Text,
        data_category -> Text,
        open_mode -> Text,
        cross_border -> Bool,
        publish_at -> Nullable<Timestamp>,
        state -> Text,
        version -> Integer,
        submitter_id -> Text,
        policy_digest -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        public_title -> Nullable<Text>,
        public_description -> Nullable<Text>,
        retracted_at -> Nullable<Timestamp>,
        retraction_reason -> Nullable<Text>,
        held_at -> Nullable<Timestamp>,
        held_by -> Nullable<Text>,
        hold_reason -> Nullable<Text>,
    }
}

diesel::table! {
    recusals (id) {
        id -> Text,
        release_id -> Text,
        user_id -> Text,
        stage -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    delegations (id) {
        id -> Text,
        from_user -> Text,
        to_user -> Text,
        starts_at -> Timestamp,
        until -> Timestamp,
        note -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    silent_consents (release_id, stage, version, department) {
        release_id -> Text,
        stage -> Text,
        version -> Integer,
        department -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reminders_sent (release_id, stage, kind, deadline) {
        release_id -> Text,
        stage -> Text,
        kind -> Text,
        deadline -> Timestamp,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    release_versions (id) {
        id -> Text,
        release_id -> Text,
        version -> Integer,
        digest -> Text,
        meta -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    files (id) {
        id -> Text,
        release_id -> Text,
        version -> Integer,
        name -> Text,
        sha256 -> Text,
        size -> BigInt,
        kind -> Text,
        encoding -> Nullable<Text>,
        published_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        public_name -> Nullable<Text>,
    }
}

diesel::table! {
    findings (id) {
        id -> Text,
        release_id -> Text,
        version -> Integer,
        file_id -> Nullable<Text>,
        entity -> Text,
        detector -> Text,
        category -> Text,
        severity -> Text,
        severity_rank -> Integer,
        confidence -> Double,
        location -> Text,
        column_ref -> Nullable<Text>,
        segment -> Integer,
        start_byte -> Integer,
        end_byte -> Integer,
        excerpt -> Text,
        masked_value -> Text,
        disposition -> Nullable<Text>,
        disposition_note -> Nullable<Text>,
        disposed_by -> Nullable<Text>,
        disposed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        field -> Nullable<Text>,
        rewritable -> Bool,
    }
}

diesel::table! {
    finding_backlogs (release_id, version) {
        release_id -> Text,
        version -> Integer,
        undispositioned -> BigInt,
    }
}

diesel::table! {
    finding_tallies (release_id, version, severity) {
        release_id -> Text,
        version -> Integer,
        severity -> Text,
        findings -> BigInt,
    }
}

diesel::table! {
    release_stages (release_id, stage) {
        release_id -> Text,
        stage -> Text,
        position -> Integer,
        status -> Text,
        role -> Text,
        departments -> Nullable<Text>,
        required_approvals -> Integer,
        approvals -> Integer,
        actionable -> Bool,
        opened_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        deadline -> Nullable<Timestamp>,
        queue_rank -> Text,
        clock_stopped_at -> Nullable<Timestamp>,
        clock_reason -> Nullable<Text>,
        stopped_days -> Integer,
        extended_days -> Integer,
        provisional -> Bool,
    }
}

diesel::table! {
    stage_decisions (id) {
        id -> Text,
        release_id -> Text,
        version -> Integer,
        stage -> Text,
        actor_id -> Text,
        actor_department -> Nullable<Text>,
        decision -> Text,
        comment -> Text,
        digest -> Text,
        dismissed -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
        tree_size -> BigInt,
    }
}

diesel::table! {
    audit_tree (idx) {
        idx -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        release_id -> Nullable<Text>,
        version -> Nullable<Integer>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
        canonical -> Binary,
    }
}

diesel::table! {
    audit_checkpoints (size) {
        size -> BigInt,
        at -> Timestamp,
        root -> Text,
        note -> Text,
    }
}

diesel::table! {
    audit_cosignatures (size, key_name) {
        size -> BigInt,
        key_name -> Text,
        signature -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        subject -> Nullable<Text>,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> Timestamp,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        progress -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    public_accounts (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        organisation -> Nullable<Text>,
        password_hash -> Text,
        verify_digest -> Nullable<Text>,
        verify_expires_at -> Nullable<Timestamp>,
        verified_at -> Nullable<Timestamp>,
        active -> Bool,
        created_at -> Timestamp,
        requests_per_minute -> Nullable<Integer>,
    }
}

diesel::table! {
    public_keys (id) {
        id -> Text,
        account_id -> Text,
        key_digest -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    access_applications (id) {
        id -> Text,
        release_id -> Text,
        account_id -> Text,
        purpose -> Text,
        intended_use -> Text,
        state -> Text,
        created_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    access_log (id) {
        id -> Text,
        at -> Timestamp,
        release_id -> Text,
        file_name -> Text,
        account_id -> Nullable<Text>,
        key_id -> Nullable<Text>,
        address -> Text,
        user_agent -> Nullable<Text>,
        status -> Integer,
        bytes -> BigInt,
    }
}

diesel::table! {
    blocklist (id) {
        id -> Text,
        kind -> Text,
        value -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ratings (id) {
        id -> Text,
        release_id -> Text,
        account_id -> Text,
        availability -> Integer,
        completeness -> Integer,
        accuracy -> Integer,
        timeliness -> Integer,
        security -> Integer,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    demands (id) {
        id -> Text,
        account_id -> Text,
        title -> Text,
        description -> Text,
        department -> Nullable<Text>,
        contact -> Text,
        status -> Text,
        answer -> Nullable<Text>,
        reason -> Nullable<Text>,
        withheld_reason -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        due_at -> Timestamp,
        created_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
        public_title -> Nullable<Text>,
        public_description -> Nullable<Text>,
    }
}

diesel::table! {
    catalogue_items (id) {
        id -> Text,
        department -> Text,
        title -> Text,
        description -> Text,
        openness -> Text,
        legal_basis -> Nullable<Text>,
        update_frequency -> Text,
        fields -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    plan_items (id) {
        id -> Text,
        year -> Integer,
        department -> Text,
        catalogue_item_id -> Text,
        due_on -> Date,
        release_id -> Nullable<Text>,
        fulfilled_on -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(release_stages -> releases (release_id));
diesel::joinable!(findings -> files (file_id));
diesel::joinable!(public_keys -> public_accounts (account_id));
diesel::joinable!(access_applications -> public_accounts (account_id));
diesel::joinable!(access_applications -> releases (release_id));
diesel::joinable!(demands -> public_accounts (account_id));
diesel::joinable!(ratings -> releases (release_id));
diesel::joinable!(plan_items -> catalogue_items (catalogue_item_id));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    departments,
    users,
    revoked_tokens,
    releases,
    release_versions,
    files,
    findings,
    finding_backlogs,
    finding_tallies,
    release_stages,
    stage_decisions,
    audit_head,
    audit_events,
    audit_checkpoints,
    audit_cosignatures,
    audit_tree,
    outbox,
    jobs,
    public_accounts,
    public_keys,
    access_applications,
    access_log,
    blocklist,
    ratings,
    demands,
    catalogue_items,
    plan_items,
    recusals,
    delegations,
    reminders_sent,
    silent_consents
);
