package io.dbbudget.server;

import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
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

	/**
	 * Orders counts most first, then by name, as the activity shows them.
	 * @param counts counts by name
	 * @return the same counts, most first, unmodifiable
	 */
	public static Map<String, Integer> mostFirst(Map<String, Integer> counts) {
		Map<String, Integer> sorted = new LinkedHashMap<>();
		counts.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
				.thenComparing(Map.Entry.comparingByKey()))
			.forEach((entry) -> sorted.put(entry.getKey(), entry.getValue()));
		return Collections.unmodifiableMap(sorted);
	}

}
