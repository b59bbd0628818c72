//! Integration tests: each starts the real server on a free port with a stand-in SMS gateway (a real HTTP
//! server on 127.0.0.1 that records what it receives) and talks HTTP to both.
//!
//! Every test runs twice: on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set (each test makes
//! and drops its own database). Without it the PostgreSQL runs are reported as ignored; if it is set but
//! the server cannot be reached, the run fails.

mod helpers;

mod access;
mod api_tickets;
mod composer;
mod customers;
mod dashboard;
mod delivery;
mod export;
mod hardening;
mod inbound_twilio;
mod inboxes;
mod keywords_hours;
mod messagebird;
mod metrics;
mod operations;
mod ops_data;
mod opt_out;
mod process;
mod proxy;
mod queue;
mod queue_agents;
mod replicas;
mod reports;
mod reports_facts;
mod shutdown;
mod tags_priority;
mod templates;
mod timeline;

use std::future::Future;
use std::pin::Pin;

use helpers::Backend;
use libtest_mimic::{Arguments, Failed, Trial};

type TestFn = fn(Backend) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Lists tests as `module::name`, each an `async fn(Backend)`.
macro_rules! tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        vec![$((
            concat!(stringify!($module), "::", stringify!($name)),
            (|backend| Box::pin($module::$name(backend))) as TestFn,
        )),*]
    };
}

fn all_tests() -> Vec<(&'static str, TestFn)> {
    tests![
        inbound_twilio::first_text_opens_a_ticket_and_queues_one_confirmation_with_its_id,
        inbound_twilio::second_text_from_same_number_joins_open_ticket_without_confirmation,
        inbound_twilio::texts_to_different_numbers_of_ours_are_different_tickets,
        inbound_twilio::forty_simultaneous_texts_from_a_new_number_make_one_ticket_and_one_confirmation,
        inbound_twilio::customers_texting_two_server_processes_at_once_lose_nothing,
        inbound_twilio::replayed_webhook_answers_ok_and_changes_nothing,
        inbound_twilio::simultaneous_replays_of_one_message_store_it_once,
        inbound_twilio::a_burst_of_texts_with_gateway_retries_among_them_stores_each_text_once,
        inbound_twilio::text_to_a_pending_ticket_reopens_it,
        inbound_twilio::text_after_close_opens_a_new_ticket_with_a_new_confirmation,
        inbound_twilio::forged_missing_or_misaddressed_signatures_are_refused_and_nothing_is_stored,
        inbound_twilio::official_twilio_vector_signs_only_its_own_url,
        inbound_twilio::signature_checking_can_be_turned_off_explicitly,
        inbound_twilio::without_an_auth_token_twilio_webhooks_are_refused,
        inbound_twilio::malformed_and_incomplete_webhooks_get_clear_errors,
        inbound_twilio::phone_numbers_are_normalised_to_e164,
        inbound_twilio::media_urls_are_kept_with_the_message,
        inbound_twilio::confirmation_uses_the_configured_template,
        opt_out::stop_opts_out_is_recorded_and_gets_no_reply,
        opt_out::an_opted_out_customer_opening_a_new_ticket_gets_no_confirmation,
        opt_out::every_opt_out_keyword_in_any_case_opts_out,
        opt_out::replies_to_an_opted_out_number_are_refused_until_start,
        opt_out::a_queued_confirmation_is_not_sent_after_stop,
        opt_out::twilio_refusal_21610_marks_the_number_opted_out,
        keywords_hours::help_as_a_first_text_opens_a_ticket_answered_with_the_help_reply_not_the_confirmation,
        keywords_hours::help_on_an_unclosed_ticket_is_filed_there_and_answered_by_name,
        keywords_hours::help_from_a_number_that_opted_out_is_filed_but_not_answered,
        keywords_hours::stop_as_a_first_text_is_kept_in_a_closed_ticket_with_the_opt_out_on_its_timeline,
        keywords_hours::start_after_a_first_stop_opts_back_in_as_before,
        keywords_hours::a_new_ticket_outside_business_hours_gets_the_out_of_office_reply_with_the_next_opening,
        keywords_hours::an_existing_ticket_gets_one_out_of_office_reply_per_closed_period,
        keywords_hours::settings_refuse_bad_hours_and_templates_naming_the_field,
        timeline::every_change_an_agent_makes_is_on_the_timeline_with_who_and_when,
        timeline::a_closed_ticket_reopens_unless_the_customer_has_a_newer_one,
        timeline::auto_close_keywords_and_failed_deliveries_are_on_the_timeline,
        reports_facts::first_response_is_the_first_agent_reply_to_a_ticket_a_customer_opened,
        timeline::notifications_tell_each_agent_what_concerns_them_once_they_ask,
        timeline::preferences_are_kept_per_agent_on_the_server,
        api_tickets::requests_without_a_valid_token_get_401,
        api_tickets::tickets_list_newest_activity_first_with_filters,
        api_tickets::tickets_list_pages_with_a_cursor,
        api_tickets::ticket_and_thread_are_readable_oldest_message_first,
        api_tickets::reply_is_stored_queued_and_sent_from_the_number_the_customer_texted,
        api_tickets::internal_note_is_never_sent,
        api_tickets::status_changes_follow_the_rules,
        api_tickets::bad_input_gets_the_right_status_and_a_json_error,
        api_tickets::unknown_routes_and_methods_answer_json,
        api_tickets::health_reports_ok,
        api_tickets::the_openapi_document_and_its_browsable_page_are_served,
        api_tickets::bodies_that_are_not_json_objects_are_refused_and_change_nothing,
        api_tickets::wrong_methods_name_the_allowed_ones,
        delivery::gateway_outage_is_retried_until_the_message_goes_out,
        delivery::rate_limited_sends_are_retried,
        delivery::permanent_refusal_marks_the_message_failed_with_the_gateway_code,
        delivery::status_callbacks_update_delivery_status_and_never_go_back,
        delivery::status_callback_that_beats_the_send_record_is_not_lost,
        delivery::status_callbacks_are_signed,
        delivery::two_server_processes_never_send_a_message_twice,
        delivery::a_burst_of_new_customers_gets_every_confirmation_recorded,
        messagebird::signed_json_webhook_opens_a_ticket,
        messagebird::signed_form_webhook_from_a_flow_uses_our_originator,
        messagebird::forged_or_unsigned_webhooks_are_refused,
        messagebird::replies_go_out_through_messagebird_and_reports_update_them,
        process::killed_server_loses_no_queued_reply_and_sends_none_twice,
        process::cli_creates_users_and_prints_a_token_alone,
        process::bad_configuration_stops_start_up_naming_the_variable,
        process::migrate_command_prepares_the_database,
        shutdown::sigterm_finishes_requests_and_sends_in_flight_claims_nothing_new_and_exits_0,
        access::sign_in_sets_a_safe_cookie_and_returns_a_csrf_token,
        access::wrong_passwords_and_unknown_users_get_401,
        access::repeated_failed_sign_ins_are_slowed_down,
        access::cookie_requests_that_change_something_need_the_csrf_token,
        access::signing_out_ends_the_session,
        access::agents_are_refused_every_admin_endpoint,
        access::admins_manage_users_and_deactivation_locks_out_at_once,
        access::a_new_password_ends_old_sessions,
        access::user_input_is_checked,
        access::the_last_active_admin_stays_an_admin,
        access::api_tokens_are_shown_once_listed_without_secrets_and_revocable,
        access::the_team_directory_shows_names_without_emails,
        queue::tickets_are_assigned_and_filtered_by_assignee,
        queue::each_ticket_shows_its_last_message_count_contact_and_unread_state,
        queue::search_finds_tickets_by_message_words_number_and_contact_name,
        queue::counts_follow_the_queue,
        queue::unchanged_polls_get_304_and_changes_show_up,
        queue::change_cursors_return_only_what_changed,
        queue::contacts_can_be_listed_named_and_show_opt_outs,
        queue::inactive_tickets_are_closed_and_the_next_text_opens_a_new_one,
        queue::a_queue_of_several_statuses_pages_in_activity_order,
        queue_agents::search_without_a_status_finds_closed_tickets_too,
        queue_agents::a_queued_reply_says_why_it_waits_during_a_gateway_outage,
        queue_agents::a_refusing_gateway_is_quoted_without_its_urls_and_a_sent_reply_leaves_no_trace,
        queue_agents::counts_include_a_text_that_just_arrived,
        queue_agents::unread_unassigned_is_counted_up_to_a_hundred,
        export::only_admins_may_export_and_anonymous_callers_must_sign_in,
        export::the_tickets_export_has_a_header_and_a_row_per_ticket_in_e164_and_utc,
        export::message_bodies_round_trip_and_cells_a_spreadsheet_would_run_are_quoted,
        export::exports_take_the_queues_filters_and_a_date_range,
        export::an_export_longer_than_a_page_has_every_row_exactly_once,
        composer::agents_start_conversations_without_a_confirmation,
        composer::conversations_refuse_opted_out_and_invalid_numbers,
        composer::conversations_need_a_sender_number,
        composer::canned_replies_are_managed_by_admins_and_filled_in_for_a_ticket,
        composer::segment_counts_follow_gsm7_and_ucs2_rules,
        composer::a_failed_text_can_be_sent_again,
        composer::settings_are_read_and_changed_by_admins_and_take_effect,
        dashboard::the_dashboard_is_served_at_the_root_and_owns_its_routes,
        dashboard::without_a_build_the_root_says_how_to_build_it,
        dashboard::the_simulator_files_fake_texts_only_when_an_admin_turned_it_on,
        dashboard::tickets_carry_the_customer_number_formatted_for_people,
        hardening::parallel_guesses_get_no_more_password_checks_than_the_throttle_allows,
        hardening::an_attacker_elsewhere_cannot_lock_a_user_out_and_spraying_is_slowed,
        hardening::forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy,
        hardening::a_nul_in_a_text_is_stored_as_a_replacement_character,
        hardening::a_nul_in_names_emails_templates_or_ids_gets_422_and_changes_nothing,
        hardening::twilio_message_sids_must_be_well_formed,
        hardening::only_https_media_links_are_stored,
        hardening::every_answer_carries_the_security_headers,
        hardening::a_body_that_arrives_too_slowly_gets_408_and_the_connection_closes,
        hardening::agents_send_only_from_numbers_of_ours,
        messagebird::a_replayed_webhook_without_an_id_is_stored_once,
        messagebird::a_nul_in_a_messagebird_text_is_stored_as_a_replacement_character,
        operations::probes_tell_alive_from_ready_and_ready_means_a_current_schema,
        operations::unknown_api_paths_are_json_404s_for_every_method,
        operations::request_ids_are_taken_from_the_proxy_when_sane_and_made_otherwise,
        operations::every_request_is_one_access_log_line_with_its_request_id_and_no_secrets,
        operations::migrate_reports_and_no_command_starts_on_a_database_from_a_newer_version,
        metrics::webhooks_sends_and_delivery_reports_are_counted_on_the_metrics_port,
        metrics::the_outbox_gauges_show_what_waits_to_be_sent_and_for_how_long,
        metrics::metrics_are_never_served_on_the_public_port_and_not_at_all_without_metrics_addr,
        ops_data::backup_keeps_every_text_answered_before_it_began_and_postgres_gets_pg_dump,
        ops_data::copy_refuses_a_non_empty_target_and_names_the_bad_argument,
        ops_data::a_desk_copied_there_and_back_is_the_same_table_by_table_and_serves,
        templates::a_known_sender_is_confirmed_by_name_and_an_unnamed_one_with_the_fallback,
        templates::settings_refuse_a_template_naming_what_is_wrong_and_keep_the_old_one,
        templates::canned_replies_are_checked_and_filled_in_with_the_agent_and_the_fallback,
        templates::templates_stored_before_the_rules_still_load_list_and_render_as_written,
        customers::the_panel_shows_every_ticket_on_any_number_of_ours_and_opt_outs_per_number,
        customers::a_customer_without_a_contact_gets_one_on_their_first_edit,
        customers::customer_edits_and_lookups_refuse_bad_input_unknown_customers_and_strangers,
        customers::contacts_are_found_by_name_number_or_notes_and_paged,
        tags_priority::admins_manage_tags_and_agents_read_them,
        tags_priority::tags_and_priority_are_set_on_the_timeline_and_filter_the_queue,
        tags_priority::waiting_since_starts_with_a_customer_text_and_ends_with_an_agent_reply,
        tags_priority::the_queue_sorts_by_waiting_and_priority_a_page_at_a_time,
        tags_priority::bulk_changes_apply_to_each_ticket_alone_and_report_each,
        inboxes::admins_manage_inboxes_and_bad_input_gets_stable_codes,
        inboxes::agents_see_and_hear_of_only_their_inboxes_tickets,
        inboxes::round_robin_hands_new_tickets_to_available_members_in_turn,
        inboxes::a_bulk_change_answers_not_found_for_tickets_in_an_agents_hidden_inbox,
        reports::reports_answer_in_their_documented_shapes_and_refuse_bad_requests_with_stable_codes,
        reports::a_conversation_texted_answered_and_closed_through_the_api_is_counted_in_the_summary,
        reports::agents_see_their_own_row_and_only_their_inboxes_and_may_not_ask_for_anyone_elses_figures,
    ]
}

type PostgresTestFn = fn() -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tests of several server processes on one database: PostgreSQL only (one SQLite file serves one process).
macro_rules! postgres_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        vec![$((
            concat!(stringify!($module), "::", stringify!($name)),
            (|| Box::pin($module::$name())) as PostgresTestFn,
        )),*]
    };
}

fn postgres_only_tests() -> Vec<(&'static str, PostgresTestFn)> {
    postgres_tests![
        replicas::forty_first_texts_spread_over_three_replicas_make_one_ticket_and_one_confirmation,
        replicas::a_webhook_retried_on_other_replicas_is_stored_once,
        replicas::replies_from_two_replicas_are_each_sent_once,
        replicas::every_webhook_answered_on_any_replica_is_stored_after_one_is_killed,
        replicas::a_frozen_replica_or_a_held_transaction_does_not_stall_the_others,
        replicas::a_frozen_replicas_claims_are_taken_over_and_block_no_other_send,
        inboxes::round_robin_is_fair_across_replicas,
    ]
}

/// Tests that need no database of ours (start-up refusals): run once, not once per backend.
fn database_free_tests() -> Vec<(&'static str, PostgresTestFn)> {
    postgres_tests![operations::start_up_traps_fail_fast_naming_the_variable]
}

/// Replicas behind nginx running deploy/nginx.conf: PostgreSQL and nginx.
fn proxy_tests() -> Vec<(&'static str, PostgresTestFn)> {
    postgres_tests![
        proxy::a_replica_killed_during_a_burst_behind_nginx_costs_no_webhook_and_each_text_is_stored_once,
        proxy::a_rolling_restart_behind_nginx_under_100_webhooks_a_second_fails_none_and_stores_each_once,
    ]
}

fn main() {
    smsdesk::gateways::install_tls_provider();
    let mut args = Arguments::from_args();
    // The tests mostly wait on HTTP and timers, so run more of them than there are cores.
    args.test_threads = args.test_threads.or(Some(8));
    let postgres = helpers::postgres_admin_url();
    if postgres.is_none() {
        eprintln!("note: TEST_DATABASE_URL is not set: PostgreSQL tests are skipped (reported as ignored)");
    }
    let mut trials = Vec::new();
    for (name, test) in all_tests() {
        trials.push(Trial::test(format!("sqlite::{name}"), move || run(test, Backend::Sqlite)));
        trials.push(
            Trial::test(format!("postgres::{name}"), move || run(test, Backend::Postgres))
                .with_ignored_flag(postgres.is_none()),
        );
    }
    for (name, test) in postgres_only_tests() {
        trials.push(
            Trial::test(format!("postgres::{name}"), move || run_postgres_only(test))
                .with_ignored_flag(postgres.is_none()),
        );
    }
    for (name, test) in database_free_tests() {
        trials.push(Trial::test(format!("any::{name}"), move || {
            runtime()?.block_on(test());
            Ok(())
        }));
    }
    let nginx = proxy::nginx_binary();
    if nginx.is_none() && !proxy::nginx_required() {
        eprintln!(
            "note: nginx is not installed: the proxy tests are skipped (reported as ignored); Debian: nginx-light"
        );
    }
    for (name, test) in proxy_tests() {
        let skipped = postgres.is_none() || (nginx.is_none() && !proxy::nginx_required());
        trials.push(Trial::test(format!("postgres::{name}"), move || run_proxy_test(test)).with_ignored_flag(skipped));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// With PROXY_TESTS_REQUIRE_NGINX=1 (CI), a missing nginx fails the proxy tests instead of skipping them.
fn run_proxy_test(test: PostgresTestFn) -> Result<(), Failed> {
    if proxy::nginx_binary().is_none() {
        return Err("nginx is not installed (Debian: apt-get install nginx-light; or set NGINX=/path/to/nginx)".into());
    }
    run_postgres_only(test)
}

fn run_postgres_only(test: PostgresTestFn) -> Result<(), Failed> {
    if helpers::postgres_admin_url().is_none() {
        return Err("TEST_DATABASE_URL is not set".into());
    }
    runtime()?.block_on(test());
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(e.to_string()))
}

fn run(test: TestFn, backend: Backend) -> Result<(), Failed> {
    if backend == Backend::Postgres && helpers::postgres_admin_url().is_none() {
        return Err("TEST_DATABASE_URL is not set".into());
    }
    runtime()?.block_on(test(backend));
    Ok(())
}
