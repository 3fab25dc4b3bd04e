package io.dbbudget.retry;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The transient connection errors of MySQL and MariaDB, as their two JDBC drivers report them.
 * The servers name most conditions by vendor code, under SQLSTATEs shared with permanent
 * errors ({@code 42000} is both "user has too many connections" and a syntax error), so a
 * code counts only with the SQLSTATE its server sends it with. Wrong password (1045), unknown
 * database (1049) and a database the account may not use (1044) are permanent.
 * <p>
 * The drivers report a server that cannot be reached or that dropped the session in their own
 * ways: MySQL Connector/J as {@code 08S01} (communications link failure), MariaDB Connector/J
 * as {@code 08000} caused by the socket's {@link IOException}. The C client's codes (2002,
 * 2003, 2006, 2013) count too, for drivers and proxies that pass them on.
 *
 * @author db-budget team
 */
final class MySqlErrors {

	private static final String ANY_STATE = "";

	// too many connections; account over max_user_connections (global, then its own
	// MAX_USER_CONNECTIONS); server shutdown in progress; connection killed (MariaDB); the C
	// client's can't connect (socket, TCP), server has gone away, lost connection during query
	private static final Map<Integer, String> TRANSIENT_CODES = Map.of(1040, "08004", 1203, "42000", 1226, "42000",
			1053, "08S01", 1927, "70100", 2002, ANY_STATE, 2003, ANY_STATE, 2006, ANY_STATE, 2013, ANY_STATE);

	private static final String COMMUNICATIONS_LINK_FAILURE = "08S01";

	private static final String CONNECTION_EXCEPTION = "08000";

	private MySqlErrors() {
	}

	/**
	 * Why a failure of MySQL or MariaDB is transient.
	 * @param failure one exception of a failure's cause chain, with a SQLSTATE
	 * @return the vendor code or SQLSTATE that makes it transient, or {@code null} if it is not
	 * one of their transient errors
	 */
	static @Nullable String transientReason(SQLException failure) {
		String state = failure.getSQLState();
		String expectedState = TRANSIENT_CODES.get(failure.getErrorCode());
		if (expectedState != null && (expectedState.equals(ANY_STATE) || expectedState.equals(state))) {
			return String.valueOf(failure.getErrorCode());
		}
		if (COMMUNICATIONS_LINK_FAILURE.equals(state)) {
			return state;
		}
		if (CONNECTION_EXCEPTION.equals(state) && causedByIo(failure)) {
			return state;
		}
		return null;
	}

	private static boolean causedByIo(Throwable failure) {
		for (Throwable cause = TransientFailures.next(failure); cause != null; cause = TransientFailures.next(cause)) {
			if (cause instanceof IOException) {
				return true;
			}
		}
		return false;
	}

}
