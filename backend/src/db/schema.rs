//! Table definitions shared by both backends. Written by hand (not `diesel print-schema`) because one
//! schema must describe the SQLite and the PostgreSQL migrations alike: ids are BigInt, timestamps are
//! `Timestamp` (UTC) on both.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        away -> Bool,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        customer_number -> Text,
        channel_number -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        contact_id -> Nullable<BigInt>,
        assignee_id -> Nullable<BigInt>,
        message_count -> Integer,
        last_message_preview -> Nullable<Text>,
        last_message_direction -> Nullable<Text>,
        last_message_at -> Nullable<Timestamp>,
        last_inbound_message_id -> Nullable<BigInt>,
        failed_delivery_at -> Nullable<Timestamp>,
        out_of_office_at -> Nullable<Timestamp>,
        priority -> SmallInt,
        waiting_since -> Nullable<Timestamp>,
        first_inbound_at -> Nullable<Timestamp>,
        first_response_at -> Nullable<Timestamp>,
        first_responder_id -> Nullable<BigInt>,
        closed_by_id -> Nullable<BigInt>,
        auto_closed -> Bool,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        direction -> Text,
        internal -> Bool,
        body -> Text,
        author_id -> Nullable<BigInt>,
        provider -> Nullable<Text>,
        provider_message_id -> Nullable<Text>,
        delivery_status -> Nullable<Text>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        media_urls -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbox (message_id) {
        message_id -> BigInt,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    opt_outs (customer_number, channel_number) {
        customer_number -> Text,
        channel_number -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    delivery_events (id) {
        id -> BigInt,
        provider -> Text,
        provider_message_id -> Text,
        status -> Text,
        error_code -> Nullable<Text>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        phone_number -> Text,
        name -> Nullable<Text>,
        notes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_reads (user_id, ticket_id) {
        user_id -> BigInt,
        ticket_id -> BigInt,
        last_read_message_id -> BigInt,
        read_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_throttle (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    canned_replies (id) {
        id -> BigInt,
        title -> Text,
        body -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    texted_numbers (number) {
        number -> Text,
        first_texted_at -> Timestamp,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        kind -> Text,
        actor_id -> Nullable<BigInt>,
        at -> Timestamp,
        details -> Text,
    }
}

diesel::table! {
    user_preferences (user_id) {
        user_id -> BigInt,
        choices -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        colour -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_tags (ticket_id, tag_id) {
        ticket_id -> BigInt,
        tag_id -> BigInt,
    }
}

diesel::table! {
    inboxes (number) {
        number -> Text,
        name -> Text,
        assignment_policy -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inbox_members (inbox_number, user_id) {
        inbox_number -> Text,
        user_id -> BigInt,
        last_assigned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_counts (hour, channel_number, metric, user_id) {
        hour -> Timestamp,
        channel_number -> Text,
        metric -> Text,
        user_id -> BigInt,
        count -> BigInt,
    }
}

diesel::table! {
    report_rollup (id) {
        id -> SmallInt,
        messages_until -> BigInt,
        events_until -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tickets -> contacts (contact_id));
diesel::joinable!(ticket_reads -> tickets (ticket_id));
diesel::joinable!(messages -> tickets (ticket_id));
diesel::joinable!(outbox -> messages (message_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(user_preferences -> users (user_id));
diesel::joinable!(ticket_tags -> tickets (ticket_id));
diesel::joinable!(ticket_tags -> tags (tag_id));
diesel::joinable!(inbox_members -> inboxes (inbox_number));
diesel::joinable!(inbox_members -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_tokens,
    tickets,
    messages,
    outbox,
    opt_outs,
    delivery_events,
    contacts,
    ticket_reads,
    sessions,
    sign_in_throttle,
    settings,
    canned_replies,
    texted_numbers,
    ticket_events,
    user_preferences,
    tags,
    ticket_tags,
    inboxes,
    inbox_members,
    report_counts,
    report_rollup,
);
