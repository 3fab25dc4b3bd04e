package io.dbbudget.server;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.dbbudget.advisor.IdleTransaction;

/**
 * What the server's client sessions were doing at one read of {@code pg_stat_activity}.
 *
 * @param maxConnections the server's {@code max_connections}
 * @param connections client sessions on the whole server, of every database and role
 * @param byState sessions by state, most first; sessions whose state the reading role may not
 * see count as {@value #UNKNOWN_STATE}
 * @param byApplication sessions by {@code application_name}, most first
 * @param sampledAt when it was read
 * @param idleInTransaction the sessions of this application and role on this database that
 * are idle in a transaction, longest idle first (at most 20)
 * @author db-budget team
 */
public record ServerActivity(int maxConnections, int connections, Map<String, Integer> byState,
		Map<String, Integer> byApplication, Instant sampledAt, List<IdleTransaction> idleInTransaction) {

	/**
	 * The state of a session of another role, which PostgreSQL hides from roles without
	 * {@code pg_read_all_stats}.
	 */
	public static final String UNKNOWN_STATE = "unknown";

	/**
	 * The share of the server's connections in use.
	 * @return {@code connections / maxConnections}, from 0 to 1
	 */
	public double utilization() {
		return (double) this.connections / this.maxConnections;
	}

}
