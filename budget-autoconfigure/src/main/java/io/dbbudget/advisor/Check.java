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
	IDLE_IN_TRANSACTION_SESSION_TIMEOUT("idle_in_transaction_session_timeout", Advice.Level.HARDENING),

	/**
	 * The server ends idle sessions before the pool touches or retires them.
	 */
	IDLE_SESSION_TIMEOUT("idle_session_timeout", Advice.Level.CONFLICT),

	/**
	 * The server notices a vanished client only after hours.
	 */
	TCP_KEEPALIVES("tcp_keepalives", Advice.Level.HARDENING),

	/**
	 * The server lets a query run for ever.
	 */
	STATEMENT_TIMEOUT("statement_timeout", Advice.Level.HARDENING),

	/**
	 * The pool never renews its connections.
	 */
	MAX_LIFETIME("max-lifetime", Advice.Level.CONFLICT),

	/**
	 * The pool does not report connections that leak while transactions are left open.
	 */
	LEAK_DETECTION_THRESHOLD("leak-detection-threshold", Advice.Level.CONFLICT),

	/**
	 * The fleet's own sessions sit idle in a transaction.
	 */
	IDLE_IN_TRANSACTION_SESSIONS("idle-in-transaction-sessions", Advice.Level.CONFLICT);

	private final String id;

	private final Advice.Level level;

	Check(String id, Advice.Level level) {
		this.id = id;
		this.level = level;
	}

	/**
	 * The check's name.
	 * @return the name
	 */
	public String id() {
		return this.id;
	}

	/**
	 * How much the check's advice weighs.
	 * @return the level
	 */
	public Advice.Level level() {
		return this.level;
	}

	Advice advise(String setting, String value, String risk, String fix) {
		return new Advice(this.id, this.level, setting, value, risk, fix);
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
