package io.dbbudget.advisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.dbbudget.budget.InvalidBudgetException;
import org.jspecify.annotations.Nullable;

/**
 * Checks the server's settings and the pools' settings against each other, and names those
 * that turn a connection budget into an outage: each piece of advice names the setting, its
 * value, the risk and the fix. Nothing is advised when all is well.
 *
 * @author db-budget team
 */
public final class Advisor {

	static final String IGNORE_PROPERTY = "db.budget.advisor.ignore";

	// Hikari's documentation asks for "several seconds" between its limits and the server's
	private static final Duration MARGIN = Duration.ofSeconds(5);

	private static final Duration SHORTEST_KEEPALIVE = Duration.ofSeconds(30);

	private static final Duration SLOWEST_DEAD_CLIENT_DETECTION = Duration.ofMinutes(10);

	private static final String KEEPALIVES_ON_SERVER = "ALTER SYSTEM SET tcp_keepalives_idle = 60; "
			+ "ALTER SYSTEM SET tcp_keepalives_interval = 10; ALTER SYSTEM SET tcp_keepalives_count = 6; "
			+ "SELECT pg_reload_conf()";

	// The settings are the session's own: a client may set them for its connections
	private static final String KEEPALIVES_PER_SESSION = "-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 "
			+ "-c tcp_keepalives_count=6";

	private final Set<String> ignored = new HashSet<>();

	private final Duration idleInTransactionAge;

	/**
	 * Create a new instance.
	 * @param ignore the names of the checks to silence
	 * @param idleInTransactionAge how long a session of the fleet may sit idle in a transaction
	 * before it is advised on
	 * @throws InvalidBudgetException if a name is not a check's, or the age is negative
	 */
	public Advisor(Collection<String> ignore, Duration idleInTransactionAge) {
		for (String id : ignore) {
			Check check = Check.of(id);
			if (check == null) {
				throw new InvalidBudgetException(IGNORE_PROPERTY, String.join(",", ignore),
						"there is no check named '" + id + "'",
						"Name checks among " + String.join(", ", Check.ids()) + ".");
			}
			this.ignored.add(check.id());
		}
		if (idleInTransactionAge.isNegative()) {
			throw new InvalidBudgetException("db.budget.advisor.idle-in-transaction-age", idleInTransactionAge,
					"a session cannot have been idle for a negative time",
					"Set db.budget.advisor.idle-in-transaction-age to 0 or more, for example 1m.");
		}
		this.idleInTransactionAge = idleInTransactionAge;
	}

	/**
	 * The advice on these settings.
	 * @param server the server's settings, or {@code null} if the server was not asked
	 * @param pools the pools' settings
	 * @param idleTransactions the fleet's own sessions idle in a transaction, of any age
	 * @return the advice, server settings first; empty when all is well
	 */
	public List<Advice> advise(@Nullable ServerSettings server, List<PoolSettings> pools,
			List<IdleTransaction> idleTransactions) {
		List<IdleTransaction> old = idleTransactions.stream()
			.filter((session) -> session.idleFor().compareTo(this.idleInTransactionAge) >= 0)
			.toList();
		List<Advice> advice = new ArrayList<>();
		if (server != null) {
			idleInTransactionSessionTimeout(server, advice);
			for (PoolSettings pool : pools) {
				idleSessionTimeout(server, pool, advice);
			}
			tcpKeepalives(server, advice);
			statementTimeout(server, advice);
		}
		for (PoolSettings pool : pools) {
			maxLifetime(pool, advice);
			if (!old.isEmpty()) {
				leakDetectionThreshold(pool, advice);
			}
		}
		if (!old.isEmpty()) {
			idleInTransactionSessions(old, advice);
		}
		return advice.stream().filter((item) -> !this.ignored.contains(item.check())).toList();
	}

	private static void idleInTransactionSessionTimeout(ServerSettings server, List<Advice> advice) {
		if (!server.idleInTransactionSessionTimeout().isZero()) {
			return;
		}
		advice.add(Check.IDLE_IN_TRANSACTION_SESSION_TIMEOUT.advise("idle_in_transaction_session_timeout",
				"0 (off) for the pools' role and database",
				"A transaction the application leaves open holds its connection, its locks and the budget's share "
						+ "of it until the application or the server restarts.",
				alterRole("idle_in_transaction_session_timeout", "5min")
						+ " (longer than any pause the application makes inside a transaction); new connections "
						+ "pick it up."));
	}

	private static void idleSessionTimeout(ServerSettings server, PoolSettings pool, List<Advice> advice) {
		Duration timeout = server.idleSessionTimeout();
		Duration untouched = pool.longestUntouchedIdle();
		if (timeout == null || timeout.isZero() || (untouched != null && timeout.compareTo(untouched.plus(MARGIN)) >= 0)) {
			return;
		}
		String bound = (untouched != null) ? Durations.human(untouched) + " (" + pool.untouchedIdleBound() + ")"
				: "ever (keepalive-time and max-lifetime are off)";
		String value = Durations.human(timeout) + " for the pools' role and database, while pool '" + pool.name()
				+ "' leaves an idle connection untouched for up to " + bound + "; idle-timeout "
				+ Durations.human(pool.idleTimeout()) + ", max-lifetime " + Durations.human(pool.maxLifetime())
				+ ", keepalive-time " + Durations.human(pool.keepaliveTime());
		String keepalive = pool.property("keepalive-time");
		// Above what the pool leaves untouched, so that Hikari touches or retires connections first
		String raise = alterRole("idle_session_timeout",
				(untouched != null) ? Durations.postgres(Durations.ceilingMinutes(untouched.plus(MARGIN))) : "0");
		Duration shortEnough = timeout.minus(MARGIN).withNanos(0);
		// In whole minutes where that is still at least Hikari's shortest keepalive
		Duration keepaliveTime = (shortEnough.toMinutes() >= 1) ? Duration.ofMinutes(shortEnough.toMinutes())
				: shortEnough;
		String fix = (shortEnough.compareTo(SHORTEST_KEEPALIVE) >= 0)
				? "Set " + keepalive + "=" + Durations.property(keepaliveTime)
						+ " so that the pool tests idle connections before the server ends them, or raise the server's "
						+ "limit: " + raise + "."
				: "Raise the server's limit" + ((untouched != null) ? " above the pool's " + bound : "") + ": " + raise
						+ ". Lowering " + keepalive
						+ " instead cannot help: Hikari tests idle connections at most every 30 s.";
		advice.add(Check.IDLE_SESSION_TIMEOUT.advise("idle_session_timeout", value,
				"The server closes pooled connections that Hikari still counts as idle: the next caller pays for "
						+ "finding them dead and opening new ones, and the server forks a new process for each.",
				fix));
	}

	private static void tcpKeepalives(ServerSettings server, List<Advice> advice) {
		Duration detection = server.deadClientDetection();
		if (server.tcpKeepalivesIdle().isZero() || detection.compareTo(SLOWEST_DEAD_CLIENT_DETECTION) <= 0) {
			return;
		}
		advice.add(Check.TCP_KEEPALIVES.advise("tcp_keepalives_idle, tcp_keepalives_interval, tcp_keepalives_count",
				server.tcpKeepalivesIdle().toSeconds() + " s, " + server.tcpKeepalivesInterval().toSeconds() + " s, "
						+ server.tcpKeepalivesCount() + ": a vanished client is noticed after "
						+ Durations.human(detection),
				"A client that vanishes without closing its connections (a killed pod, a dropped network) keeps its "
						+ "server slots, and the budget's share of them, for " + Durations.human(detection) + ".",
				"On the server: " + KEEPALIVES_ON_SERVER + "; or for this application only, the driver's "
						+ "connection property options: spring.datasource.hikari.data-source-properties.options="
						+ KEEPALIVES_PER_SESSION));
	}

	private static void statementTimeout(ServerSettings server, List<Advice> advice) {
		if (!server.statementTimeout().isZero()) {
			return;
		}
		advice.add(Check.STATEMENT_TIMEOUT.advise("statement_timeout", "0 (off) for the pools' role and database",
				"One runaway query may hold a connection indefinitely; many applications set a timeout per "
						+ "transaction instead, and then this can be ignored (" + IGNORE_PROPERTY
						+ "=statement_timeout).",
				"If the application sets none itself: " + alterRole("statement_timeout", "30s")
						+ " (longer than the slowest legitimate query)."));
	}

	private static void maxLifetime(PoolSettings pool, List<Advice> advice) {
		if (!pool.maxLifetime().isZero()) {
			return;
		}
		advice.add(Check.MAX_LIFETIME.advise(pool.property("max-lifetime"),
				"0 (off) for pool '" + pool.name() + "'",
				"Connections are never renewed: they outlive failovers, network devices that drop long-lived "
						+ "connections and changed role settings, and a server limit closes them under the pool.",
				"Set " + pool.property("max-lifetime") + "=30m, a few seconds shorter than any limit the server or "
						+ "the network puts on connections."));
	}

	private static void leakDetectionThreshold(PoolSettings pool, List<Advice> advice) {
		if (!pool.leakDetectionThreshold().isZero()) {
			return;
		}
		advice.add(Check.LEAK_DETECTION_THRESHOLD.advise(pool.property("leak-detection-threshold"),
				"0 (off) for pool '" + pool.name() + "', while sessions of this application sit idle in a transaction",
				"A connection taken and never returned, with its transaction left open, is never reported.",
				"Set " + pool.property("leak-detection-threshold")
						+ "=30s (longer than the application's longest legitimate use of a connection): Hikari then "
						+ "logs where each leaked connection was taken."));
	}

	private void idleInTransactionSessions(List<IdleTransaction> sessions, List<Advice> advice) {
		String listed = sessions.stream()
			.map((session) -> "pid " + session.pid() + " idle " + Durations.human(session.idleFor())
					+ " (transaction open " + Durations.human(session.transactionAge()) + ")")
			.collect(Collectors.joining(", "));
		advice.add(Check.IDLE_IN_TRANSACTION_SESSIONS.advise("sessions idle in transaction",
				sessions.size() + " of this application's sessions idle in a transaction for "
						+ Durations.human(this.idleInTransactionAge) + " or more: " + listed,
				"Each holds a connection of the budget, with its locks and snapshot, until it commits or rolls back.",
				"Find the code that leaves the transaction open (leak-detection-threshold logs where a connection was "
						+ "taken); idle_in_transaction_session_timeout ends such sessions on the server, "
						+ "SELECT pg_terminate_backend(pid) ends one now."));
	}

	// The status shows advice over HTTP, so it names no role: <username> is the pools' own
	private static String alterRole(String setting, String value) {
		return "ALTER ROLE <username> SET " + setting + " = '" + value + "'";
	}

}
