package io.dbbudget.retry;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Tells transient connection failures, worth waiting for, from permanent ones. Transient: the
 * server (PostgreSQL, MySQL or MariaDB) or PgBouncer is full, restarting or briefly
 * unreachable. Permanent: wrong credentials,
 * unknown database, a host name that does not resolve, a TLS certificate or host name that
 * does not verify.
 * <p>
 * A pool timeout that carries no connection failure ({@link #isPoolTimeout}) is neither by
 * itself: the pool had no connection to give, and only the pool's state says why. If the pool
 * held fewer connections than its maximum, it could not open one (the server away, or the
 * pool still refilling after it came back), and {@link RetryingDataSource} retries it. If every
 * connection of a full pool stayed in use for the whole {@code connection-timeout}, that is
 * overload, and retrying would hold callers longer under the overload that made them wait.
 *
 * @author db-budget team
 */
public final class TransientFailures {

	/**
	 * The reason given for a pool timeout that carries no connection failure: retried while the
	 * pool holds fewer connections than its maximum, a failure when every connection of a full
	 * pool stayed in use.
	 */
	public static final String POOL_TIMEOUT = "pool-timeout";

	// too many connections; admin shutdown, crash shutdown, cannot connect now (starting);
	// unable to connect, connection failure
	private static final Set<String> TRANSIENT_STATES = Set.of("53300", "57P01", "57P02", "57P03", "08001", "08006");

	private TransientFailures() {
	}

	/**
	 * The reason a failure is transient.
	 * @param failure what {@code getConnection()} threw
	 * @return the transient SQLSTATE found in the cause chain (Hikari wraps the driver's error
	 * in its pool timeout), the vendor code or SQLSTATE of a transient MySQL or MariaDB error
	 * (see {@link MySqlErrors}), the kind of a transient PgBouncer error, or {@code null} if the
	 * failure is permanent: wrong password, unknown database, missing privilege, a
	 * configuration error behind an {@code 08001} or {@code 08006}, a pool timeout without a
	 * connection failure (see {@link #isPoolTimeout}), an interrupt, anything else
	 */
	public static @Nullable String reason(Throwable failure) {
		if (isInterrupt(failure) || ConnectConfigurationErrors.find(failure) != null) {
			return null;
		}
		for (Throwable cause = failure; cause != null; cause = next(cause)) {
			if (cause instanceof SQLException sqlException && sqlException.getSQLState() != null) {
				String state = sqlException.getSQLState();
				if (TRANSIENT_STATES.contains(state)) {
					return state;
				}
				String mySqlReason = MySqlErrors.transientReason(sqlException);
				if (mySqlReason != null) {
					return mySqlReason;
				}
				PgBouncerErrors.Kind pgBouncerError = PgBouncerErrors.of(state, sqlException.getMessage());
				if (pgBouncerError != null) {
					return pgBouncerError.isTransient() ? pgBouncerError.reason() : null;
				}
				if (!(cause instanceof SQLTransientConnectionException)) {
					return null;
				}
			}
		}
		return null;
	}

	/**
	 * Whether a failure is transient.
	 * @param failure what {@code getConnection()} threw
	 * @return {@code true} if it is worth retrying
	 */
	public static boolean isTransient(Throwable failure) {
		return reason(failure) != null;
	}

	/**
	 * A short name for a failure, transient or not, for metrics.
	 * @param failure what {@code getConnection()} threw
	 * @return the transient reason; else {@link #POOL_TIMEOUT}, the configuration error
	 * ({@code unknown-host}, {@code tls}, {@code driver-class}), the kind of PgBouncer error,
	 * the SQLSTATE, or {@code other}
	 */
	public static String tag(Throwable failure) {
		String reason = reason(failure);
		if (reason != null) {
			return reason;
		}
		if (isPoolTimeout(failure)) {
			return POOL_TIMEOUT;
		}
		String configurationError = ConnectConfigurationErrors.find(failure);
		if (configurationError != null) {
			return configurationError;
		}
		if (failure instanceof SQLException sqlException && sqlException.getSQLState() != null) {
			PgBouncerErrors.Kind pgBouncerError = PgBouncerErrors.of(sqlException.getSQLState(),
					sqlException.getMessage());
			return (pgBouncerError != null) ? pgBouncerError.reason() : sqlException.getSQLState();
		}
		return "other";
	}

	/**
	 * Whether a failure is Hikari's pool timeout that carries no connection failure, also when
	 * another exception wraps it. Hikari gives its timeout the pool's last connection failure
	 * as its cause, and clears that failure when a connection opens: no cause means that no
	 * attempt failed since, either because every connection was in use or because the pool
	 * was still opening connections (an attempt running, or the pool refilling).
	 * @param failure what {@code getConnection()} threw
	 * @return whether it is such a timeout
	 */
	static boolean isPoolTimeout(Throwable failure) {
		Throwable root = failure;
		for (Throwable cause = next(failure); cause != null; cause = next(cause)) {
			root = cause;
		}
		// Without a cause, Hikari's timeout has no SQLSTATE either; a driver's own transient
		// connection error has one, and is classified by it
		return root instanceof SQLTransientConnectionException && ((SQLException) root).getSQLState() == null;
	}

	private static boolean isInterrupt(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = next(cause)) {
			if (cause instanceof InterruptedException) {
				return true;
			}
		}
		return false;
	}

	static @Nullable Throwable next(Throwable failure) {
		Throwable cause = failure.getCause();
		return (cause != failure) ? cause : null;
	}

}
