package io.dbbudget.advisor;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The server settings the advisor checks, as they apply to the application's own sessions
 * (its role's and database's defaults included). A zero duration means off.
 *
 * @param idleInTransactionSessionTimeout {@code idle_in_transaction_session_timeout}
 * @param idleSessionTimeout {@code idle_session_timeout}, or {@code null} before PostgreSQL 14
 * @param statementTimeout {@code statement_timeout}
 * @param tcpKeepalivesIdle {@code tcp_keepalives_idle} in effect on the connection: the
 * operating system's default when not set, zero on a Unix-domain socket
 * @param tcpKeepalivesInterval {@code tcp_keepalives_interval} in effect
 * @param tcpKeepalivesCount {@code tcp_keepalives_count} in effect
 * @author db-budget team
 */
public record ServerSettings(Duration idleInTransactionSessionTimeout,
		@Nullable Duration idleSessionTimeout, Duration statementTimeout, Duration tcpKeepalivesIdle,
		Duration tcpKeepalivesInterval, int tcpKeepalivesCount) {

	/**
	 * How long the server takes to notice a client that vanished without closing its
	 * connection.
	 * @return the time, zero when keepalives do not apply (a Unix-domain socket)
	 */
	public Duration deadClientDetection() {
		return this.tcpKeepalivesIdle.plus(this.tcpKeepalivesInterval.multipliedBy(this.tcpKeepalivesCount));
	}

}
