package io.dbbudget.retry;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * PgBouncer's own errors. PgBouncer sends every one of them with SQLSTATE {@code 08P01}
 * (protocol violation), so only the message, fixed English text in PgBouncer's source, tells a
 * full pooler from a wrong password. Waiting helps where PgBouncer refuses at once and the
 * cause passes: it is full, its server is down or restarting, it is shutting down or an
 * operator has paused a database. It does not help where the settings are wrong, nor after
 * {@code query_wait_timeout}: that client already waited in PgBouncer's queue as long as the
 * operator allowed, and waiting again would hold the caller longer under the very overload
 * that made it wait (the same reason a pool timeout of a full pool is not retried).
 *
 * @author db-budget team
 */
final class PgBouncerErrors {

	/**
	 * The SQLSTATE of PgBouncer's own errors.
	 */
	static final String STATE = "08P01";

	private static final List<Kind> KINDS = List.of(
			new Kind("pgbouncer-full", true, List.of("no more connections allowed (max_client_conn)",
					"client connections exceeded (max_db_client_connections)",
					"client connections exceeded (max_user_client_connections)")),
			// server_login_retry: the message changed over versions, the setting's name stays
			new Kind("pgbouncer-server-down", true, List.of("(server_login_retry)",
					"pgbouncer cannot connect to server", "client_login_timeout (server down)")),
			new Kind("pgbouncer-shutting-down", true, List.of("server shutting down", "pooler is shutting down")),
			new Kind("pgbouncer-database-disabled", true, List.of("\" is disabled")),
			// Before PgBouncer 1.20 the server's own login errors reach the client as 08P01 too,
			// with the server's message (in English unless the server's lc_messages says otherwise)
			new Kind("pgbouncer-server-full", true,
					List.of("sorry, too many clients already", "too many connections for")),
			new Kind("pgbouncer-server-starting-or-stopping", true, List.of("the database system is starting up",
					"the database system is shutting down", "the database system is in recovery mode")),
			// ... and so do the server's refusals of PgBouncer's own login, such as a role or a
			// database the server does not know: only the configuration can cure them (PgBouncer
			// 1.18 then answers the next clients with client_login_timeout, retried above)
			new Kind("pgbouncer-server-login-rejected", false, List.of("\" does not exist")),
			new Kind("pgbouncer-query-wait-timeout", false, List.of("query_wait_timeout")),
			new Kind("pgbouncer-no-such-database", false, List.of("no such database")),
			// password, SASL, trust, certificate, PAM and LDAP authentication
			new Kind("pgbouncer-authentication", false,
					List.of("authentication failed", "no such user", "login rejected")),
			new Kind("pgbouncer-startup-parameter", false,
					List.of("unsupported startup parameter", "unsupported options startup parameter")),
			new Kind("pgbouncer-ssl-required", false, List.of("SSL required")),
			// also what a database missing from [databases] gets under auth_type = any
			new Kind("pgbouncer-configuration", false, List.of("bouncer config error")));

	private PgBouncerErrors() {
	}

	/**
	 * What PgBouncer meant by an error.
	 * @param sqlState the error's SQLSTATE
	 * @param message the error's message, as the driver shows it
	 * @return the kind, or {@code null} if the error is not one of PgBouncer's known errors
	 */
	static @Nullable Kind of(@Nullable String sqlState, @Nullable String message) {
		if (!STATE.equals(sqlState) || message == null) {
			return null;
		}
		for (Kind kind : KINDS) {
			for (String text : kind.messages()) {
				if (message.contains(text)) {
					return kind;
				}
			}
		}
		return null;
	}

	/**
	 * A kind of PgBouncer error.
	 *
	 * @param reason the reason reported in metrics
	 * @param isTransient whether waiting may cure it
	 * @param messages texts of PgBouncer's messages of this kind
	 */
	record Kind(String reason, boolean isTransient, List<String> messages) {

	}

}
