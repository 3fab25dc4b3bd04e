package io.dbbudget.server;

import java.time.Instant;
import java.util.Map;

/**
 * What the server's client sessions were doing at one read of {@code pg_stat_activity}.
 *
 * @param maxConnections the server's {@code max_connections}
 * @param connections client sessions on the whole server, of every database and role
 * @param byState sessions by state, most first; sessions whose state the reading role may not
 * see count as {@value #UNKNOWN_STATE}
 * @param byApplication sessions by {@code application_name}, most first
 * @param sampledAt when it was read
 * @author db-budget team
 */
public record ServerActivity(int maxConnections, int connections, Map<String, Integer> byState,
		Map<String, Integer> byApplication, Instant sampledAt) {

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
