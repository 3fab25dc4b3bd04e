package io.dbbudget.advisor;

import java.util.Arrays;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The advisor's checks, by the names {@code db.budget.advisor.ignore} takes.
 *
 * @author db-budget team
 */
public enum Check {

	/**
	 * The server ends no transaction left open.
	 */
	IDLE_IN_TRANSACTION_SESSION_TIMEOUT("idle_in_transaction_session_timeout"),

	/**
	 * The server ends idle sessions before the pool touches or retires them.
	 */
	IDLE_SESSION_TIMEOUT("idle_session_timeout"),

	/**
	 * The server notices a vanished client only after hours.
	 */
	TCP_KEEPALIVES("tcp_keepalives"),

	/**
	 * The server lets a query run for ever.
	 */
	STATEMENT_TIMEOUT("statement_timeout"),

	/**
	 * The pool never renews its connections.
	 */
	MAX_LIFETIME("max-lifetime"),

	/**
	 * The pool does not report connections that leak while transactions are left open.
	 */
	LEAK_DETECTION_THRESHOLD("leak-detection-threshold"),

	/**
	 * The fleet's own sessions sit idle in a transaction.
	 */
	IDLE_IN_TRANSACTION_SESSIONS("idle-in-transaction-sessions");

	private final String id;

	Check(String id) {
		this.id = id;
	}

	/**
	 * The check's name.
	 * @return the name
	 */
	public String id() {
		return this.id;
	}

	/**
	 * The check of a name.
	 * @param id the name
	 * @return the check, or {@code null} if there is none of that name
	 */
	public static @Nullable Check of(String id) {
		return Arrays.stream(values()).filter((check) -> check.id.equals(id.strip())).findFirst().orElse(null);
	}

	/**
	 * Every check's name.
	 * @return the names
	 */
	public static List<String> ids() {
		return Arrays.stream(values()).map(Check::id).toList();
	}

}
