package io.dbbudget.server.pgbouncer;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * How a pooler hands server connections to its clients: for a client's whole session, for
 * each transaction, or for each statement.
 *
 * @author db-budget team
 */
public enum PoolMode {

	/**
	 * A client keeps its server connection until it disconnects: session state (advisory locks,
	 * {@code SET}, prepared statements) behaves as on the server itself.
	 */
	SESSION,

	/**
	 * A client holds a server connection only for a transaction: session state is lost or
	 * leaks to other clients between transactions.
	 */
	TRANSACTION,

	/**
	 * A client holds a server connection only for a statement: multi-statement transactions
	 * are refused, session state is lost or leaks.
	 */
	STATEMENT,

	/**
	 * The pool mode could not be told.
	 */
	UNKNOWN;

	/**
	 * The pool mode PgBouncer names.
	 * @param name {@code session}, {@code transaction} or {@code statement}, in any case
	 * @return the pool mode, or {@link #UNKNOWN} for anything else
	 */
	public static PoolMode of(@Nullable String name) {
		if (name == null) {
			return UNKNOWN;
		}
		return switch (name.trim().toLowerCase(Locale.ROOT)) {
			case "session" -> SESSION;
			case "transaction" -> TRANSACTION;
			case "statement" -> STATEMENT;
			default -> UNKNOWN;
		};
	}

	/**
	 * Whether a client keeps one server session for as long as it stays connected, so that
	 * session-level advisory locks held on it are safe.
	 * @return {@code true} only for {@link #SESSION}
	 */
	public boolean keepsSessions() {
		return this == SESSION;
	}

}
