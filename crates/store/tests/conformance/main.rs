//! The store conformance suite: one set of behaviours, run against every backend.
//!
//! Each test is an `async fn(Arc<dyn Store>)` in a module per repository;
//! `conformance_tests!` instantiates it once per backend as
//! `sqlite::<module>::<test>` and `postgres::<module>::<test>`, each on a fresh
//! database (SQLite: a new file; PostgreSQL: a new schema in the database named by
//! `PROXICLOUD_TEST_POSTGRES_URL`, which `scripts/postgres.sh` provides).

mod fixtures;
mod harness;

mod access_keys;
mod alerts;
mod api_tokens;
mod audit;
mod backups;
mod clusters;
mod coordination;
mod guest_queries;
mod guests;
mod inventory;
mod job_claims;
mod job_secrets;
mod job_trees;
mod jobs;
mod key_pairs;
mod metrics;
mod notification_claims;
mod notifications;
mod objects;
mod quotas;
mod refresh_tokens;
mod secrets;
mod settings;
mod sync;
mod upgrade;
mod upload_ages;
mod usage;
mod users;
mod volume_jobs;
mod volume_lists;
mod volumes;

macro_rules! conformance_tests {
    ($($module:ident: [$($test:ident),* $(,)?]),* $(,)?) => {
        mod sqlite {
            $(mod $module {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    crate::harness::run(crate::harness::Backend::Sqlite, crate::$module::$test).await;
                })*
            })*
        }
        mod postgres {
            $(mod $module {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    crate::harness::run(crate::harness::Backend::Postgres, crate::$module::$test).await;
                })*
            })*
        }
    };
}

conformance_tests! {
    secrets: [
        secrets_round_trip_and_page_per_owner_by_name,
        secret_names_are_unique_per_owner,
        value_updates_add_versions_and_keep_only_the_newest,
        grants_are_idempotent_and_go_with_the_secret,
        grantees_list_shared_secrets_with_their_own,
        instances_receive_secrets_and_keep_an_injection_state,
    ],
    users: [
        created_users_are_found_by_id_and_by_username_in_any_case,
        usernames_are_unique_ignoring_case,
        updates_change_only_the_given_fields,
        listing_pages_through_every_user_in_name_order,
        only_enabled_admins_count_as_active_admins,
        deleting_a_user_removes_their_tokens_and_unowns_their_guests,
        missing_users_are_not_found,
    ],
    refresh_tokens: [
        rotation_links_the_new_token_into_the_family,
        reusing_a_rotated_token_is_refused_and_the_family_can_be_revoked,
        concurrent_rotations_of_one_token_let_exactly_one_win,
        revoked_and_expired_refresh_tokens_cannot_rotate,
        revoking_everything_of_a_user_and_purging_expired_tokens,
    ],
    api_tokens: [
        only_active_api_tokens_are_found_by_hash,
        api_tokens_are_listed_per_user_and_record_their_last_use,
        token_hashes_are_unique,
    ],
    alerts: [
        built_in_rules_are_seeded_and_custom_rules_owned,
        one_open_alert_per_rule_and_resource_then_history,
        silences_are_owned_and_active_in_their_window,
    ],
    notifications: [
        channels_round_trip_per_owner_and_record_results,
        subscriptions_belong_to_their_owner_and_go_with_the_channel,
        the_outbox_delivers_once_leases_claims_and_retries,
        claims_take_at_most_the_limit_oldest_first,
        changed_alerts_are_the_unsilenced_firing_and_resolved_ones,
    ],
    notification_claims: [
        a_late_finish_of_an_expired_claim_is_refused,
        changed_alerts_page_through_equal_timestamps_without_skipping,
    ],
    upload_ages: [
        an_upload_is_stale_only_once_idle_since_its_last_part,
    ],
    backups: [
        backups_go_from_creating_to_available_and_list_newest_first_per_owner,
        backups_outlive_their_owner_and_change_status_and_protection,
    ],
    key_pairs: [
        key_pairs_round_trip_and_list_per_owner_by_name,
        key_pair_names_are_unique_per_owner,
        guests_remember_their_key_pairs_after_the_pair_is_deleted,
    ],
    access_keys: [
        access_keys_round_trip_list_per_owner_and_disable,
        access_key_ids_are_unique_system_wide,
    ],
    objects: [
        bucket_names_are_unique_and_buckets_list_per_owner,
        objects_are_replaced_deleted_and_counted,
        listings_are_in_byte_order_within_the_prefix,
        concurrent_writers_of_one_key_each_get_their_replaced_blob_once,
        multipart_uploads_complete_into_one_object,
        conditional_puts_are_checked_with_the_row_locked,
        parts_racing_an_abort_or_a_bucket_delete_are_never_leaked,
    ],
    quotas: [
        quotas_limit_an_owners_bytes_and_objects,
        concurrent_writers_cannot_both_pass_the_last_byte,
    ],
    usage: [
        parts_count_toward_the_quota_until_completed_or_aborted,
        the_usage_row_follows_every_write,
        concurrent_first_writes_of_one_key_count_it_once,
    ],
    metrics: [
        series_are_created_once_and_found_per_resource,
        chunks_are_replaced_by_key_and_read_by_overlap,
        retention_deletes_old_chunks_of_one_resolution_in_bounded_steps,
    ],
    audit: [
        appends_get_gapless_seqs_and_link_to_the_previous_hash,
        concurrent_appends_never_fork_the_chain,
        queries_filter_and_page_newest_first,
        text_filters_match_substrings_ignoring_case_and_pattern_characters,
        scanning_walks_the_whole_log_in_seq_order,
    ],
    clusters: [
        clusters_round_trip_with_their_credentials,
        cluster_names_are_unique,
        health_is_recorded_separately_from_the_configuration,
        deleting_a_cluster_deletes_its_inventory,
    ],
    coordination: [
        exactly_one_contender_leads_until_it_lets_go,
        notifications_reach_every_listener,
        payloads_up_to_the_limit_are_sent_longer_ones_refused,
    ],
    settings: [
        settings_are_absent_until_written_then_replaced_whole,
    ],
    sync: [
        the_first_sync_reports_every_guest_as_appeared,
        later_syncs_report_changes_and_disappearances_but_not_usage,
        ids_and_ownership_survive_every_sync,
        reservations_wait_for_proxmox_then_become_real,
        a_vmid_reused_by_another_kind_of_guest_is_a_new_guest,
        a_reserved_name_survives_the_placeholder_reported_during_creation,
        a_reserved_name_survives_the_placeholder_of_a_vm_being_cloned,
        io_rates_come_from_consecutive_samples,
    ],
    inventory: [
        nodes_and_storages_are_replaced_by_each_snapshot,
        syncing_an_unknown_cluster_is_not_found,
        ten_thousand_guests_sync_in_one_go,
    ],
    guest_queries: [
        filters_select_guests_by_every_criterion,
        pagination_is_stable_for_every_sort_and_direction,
        cursors_only_work_for_the_query_that_issued_them,
        the_tag_filter_matches_whole_tags,
    ],
    guests: [
        reserving_a_taken_vmid_conflicts,
        owners_can_be_assigned_and_guests_deleted,
        every_guest_write_is_counted_and_live_guests_are_listed,
        learned_addresses_are_stored_and_survive_syncs,
    ],
    jobs: [
        created_jobs_are_queued_with_their_steps,
        jobs_are_counted_per_kind_and_status,
        a_repeated_idempotency_key_returns_the_first_job,
        concurrent_creates_with_one_key_make_one_job,
        listing_pages_newest_first_per_owner,
        listing_by_resource_finds_only_that_resources_jobs,
    ],
    job_claims: [
        workers_claim_the_oldest_job_first_under_a_lease,
        concurrent_workers_never_claim_the_same_job,
        an_expired_lease_is_reclaimed_by_another_worker,
        checkpoints_record_progress_and_extend_the_lease,
        finishing_releasing_and_cancelling_follow_the_job_state,
    ],
    job_secrets: [
        sealed_params_are_dropped_on_request_and_when_a_job_ends,
    ],
    job_trees: [
        system_jobs_have_no_user_and_their_keys_are_per_actor_name,
        a_deleted_users_jobs_stay_listed_with_their_name,
        run_after_holds_a_job_back_until_its_time,
        children_are_idempotent_per_key_and_listed_under_their_parent,
        a_waiting_parent_holds_no_worker_and_its_last_child_requeues_it,
        a_parent_parking_while_its_last_child_ends_is_never_stranded,
        cancelling_a_parent_cancels_its_unfinished_children,
        cancelling_a_waiting_parents_last_unstarted_child_wakes_the_parent,
        descendants_are_read_to_a_depth_oldest_first,
    ],
    volumes: [
        volumes_go_from_creating_to_available_and_list_per_owner,
        attachments_are_exclusive_and_end_with_the_guest_row,
        a_guest_gone_or_forgotten_leaves_its_volumes_detached,
        a_vmid_goes_to_a_guest_reservation_or_a_holder_not_both,
        snapshots_have_unique_names_per_volume,
    ],
    volume_jobs: [
        a_volume_has_one_unfinished_job_at_a_time,
        concurrent_jobs_on_one_volume_make_one,
    ],
    volume_lists: [
        volume_lists_page_in_creation_order_and_filter,
        every_volume_write_is_counted_and_list_all_lists_every_volume,
    ],
}
