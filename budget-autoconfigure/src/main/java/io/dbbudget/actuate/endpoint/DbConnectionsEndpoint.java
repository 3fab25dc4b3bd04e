package io.dbbudget.actuate.endpoint;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.advisor.Advice;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.BudgetMode;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.fleet.FleetCoordinator.FleetState;
import io.dbbudget.fleet.PostgreSqlFleetMembership;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.gate.AdmissionGates;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.PoolActivity;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.pool.ServerPools;
import io.dbbudget.retry.RetrySettings;
import io.dbbudget.server.ConnectionSource;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.ServerDialect;
import io.dbbudget.server.ServerSample;
import io.dbbudget.server.SparedSessions;
import io.dbbudget.server.UtilizationLevel;
import io.dbbudget.server.UtilizationThresholds;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * {@link Endpoint @Endpoint} that shows this instance's connection budget, its pools and the
 * server's connections, and closes idle connections. Its operations other than the status need
 * {@code management.endpoint.dbconnections.access=unrestricted}.
 *
 * @author db-budget team
 */
@Endpoint(id = "dbconnections", defaultAccess = Access.READ_ONLY)
public class DbConnectionsEndpoint {

	/**
	 * The name of the write operation that closes idle connections.
	 */
	public static final String CLOSE_IDLE = "close-idle";

	private static final List<String> SERVER_FIELDS = List.of("serverMaxConnections", "serverReservedConnections",
			"databaseConnectionLimit", "roleConnectionLimit");

	private final BudgetedPools budgetedPools;

	private final ServerActivityMonitor monitor;

	private final ConnectionSource connections;

	private final UtilizationThresholds thresholds;

	private final Duration idleSessionAge;

	private final @Nullable RetrySettings retrySettings;

	private final @Nullable PoolAdvisor advisor;
	private final @Nullable AdmissionGates admissionGates;

	/**
	 * Create a new instance.
	 * @param budgetedPools the pools under the budget
	 * @param monitor the server's activity
	 * @param connections where to get a connection to end idle server sessions
	 * @param thresholds the utilizations that set the level
	 * @param idleSessionAge how long a server session must have been idle for
	 * {@code close-idle} to end it
	 * @param retrySettings how connection acquisition is retried, or {@code null} if it is not
	 * @param advisor the server advisor, or {@code null} if it is off
	 * @param admissionGates the pools' admission gates, or {@code null} if they are off
	 * @throws InvalidBudgetException if the idle session age is negative
	 */
	public DbConnectionsEndpoint(BudgetedPools budgetedPools, ServerActivityMonitor monitor,
			ConnectionSource connections, UtilizationThresholds thresholds, Duration idleSessionAge,
			@Nullable RetrySettings retrySettings, @Nullable PoolAdvisor advisor,
			@Nullable AdmissionGates admissionGates) {
		if (idleSessionAge.isNegative()) {
			throw new InvalidBudgetException("db.budget.idle-session-age", idleSessionAge.toString(),
					"a session cannot have been idle for a negative time",
					"Set db.budget.idle-session-age to 0 or more, for example 5m.");
		}
		this.budgetedPools = budgetedPools;
		this.monitor = monitor;
		this.connections = connections;
		this.thresholds = thresholds;
		this.idleSessionAge = idleSessionAge;
		this.retrySettings = retrySettings;
		this.advisor = advisor;
		this.admissionGates = admissionGates;
	}

	/**
	 * The budget, every pool, the server's connections, the level and the advisor's advice.
	 * Reads the pools' counters and the latest server sample: it takes no connection.
	 * @return the status
	 */
	@ReadOperation
	public DbConnectionsDescriptor connections() {
		Map<String, PoolDescriptor> pools = new LinkedHashMap<>();
		for (BudgetedPool pool : this.budgetedPools.getPools()) {
			pools.put(pool.name(), describe(pool));
		}
		List<ServerBudgetDescriptor> servers = this.budgetedPools.getServers()
			.stream()
			.map(DbConnectionsEndpoint::describe)
			.toList();
		ServerSample sample = this.monitor.getSample();
		ServerBudgetDescriptor first = servers.isEmpty() ? null : servers.get(0);
		return new DbConnectionsDescriptor((first != null) ? first.budget() : null,
				this.budgetedPools.describe().lines().map(String::strip).toList(), pools, describe(sample),
				this.thresholds.level(sample.current()), (first != null) ? first.fleet() : null, servers,
				(this.advisor != null) ? this.advisor.advice() : null);
	}

	private static ServerBudgetDescriptor describe(ServerPools server) {
		Budget budget = server.getBudget();
		return new ServerBudgetDescriptor(server.getAddress().toString(),
				server.getPools().stream().map(BudgetedPool::name).toList(),
				(budget != null) ? describe(budget, server.getSettings()) : null, server.getFleet());
	}

	/**
	 * Closes the idle connections of every pool now, and ends this application's server
	 * sessions that have been idle longer than {@code db.budget.idle-session-age}.
	 * Connections in use, the sessions of every connection of this instance's pools, and other
	 * applications' sessions, are left alone; where the server does not show which sessions are
	 * this application's, none is ended and {@code server.skipped} says why.
	 * @param operation {@value #CLOSE_IDLE}
	 * @return what was closed
	 * @throws InvalidEndpointRequestException if the operation is not {@value #CLOSE_IDLE}
	 */
	@WriteOperation
	public ClosedIdleDescriptor closeIdle(@Selector String operation) {
		if (!CLOSE_IDLE.equals(operation)) {
			String message = "No operation '" + operation + "': the only write operation is '" + CLOSE_IDLE + "'";
			throw new InvalidEndpointRequestException(message, message);
		}
		// Pools first: their idle connections are then closing and cannot be handed out, and
		// those the pools open again are too young to match, so the server never ends a session
		// that a pool is about to lend
		Map<String, EvictedPool> pools = new LinkedHashMap<>();
		for (BudgetedPool pool : this.budgetedPools.getPools()) {
			PoolActivity before = PoolActivity.of(pool.dataSource());
			int closed = this.budgetedPools.closeIdle(pool.name());
			pools.put(pool.name(), new EvictedPool(closed, 0, pool.dataSource().getMinimumIdle(),
					"keeps at most " + pool.dataSource().getMinimumIdle() + " idle; " + before.active()
							+ " in use stay open; more open when callers need them, up to "
							+ pool.dataSource().getMaximumPoolSize()));
		}
		IdleSessionTermination server = terminateIdleSessions();
		pools.keySet().forEach(this.budgetedPools::trimIdle);
		this.monitor.refresh();
		return new ClosedIdleDescriptor(pools, server);
	}

	/**
	 * Disposes every pool softly: idle connections close now, connections in use when they are
	 * returned, and the pools open new ones on demand.
	 * @return the connections closed in each pool
	 */
	@DeleteOperation
	public DisposedPoolsDescriptor dispose() {
		return disposed(this.budgetedPools.getPools());
	}

	/**
	 * Disposes one pool softly.
	 * @param pool the pool's bean name
	 * @return the connections closed
	 * @throws InvalidEndpointRequestException if there is no such pool under the budget
	 */
	@DeleteOperation
	public DisposedPoolsDescriptor disposePool(@Selector String pool) {
		BudgetedPool budgetedPool = this.budgetedPools.getPool(pool);
		if (budgetedPool == null) {
			List<String> known = this.budgetedPools.getPools().stream().map(BudgetedPool::name).toList();
			String message = "No pool named '" + pool + "'; the pools under the budget are " + known;
			throw new InvalidEndpointRequestException(message, message);
		}
		return disposed(List.of(budgetedPool));
	}

	private DisposedPoolsDescriptor disposed(List<BudgetedPool> pools) {
		Map<String, EvictedPool> evicted = new LinkedHashMap<>();
		for (BudgetedPool pool : pools) {
			PoolActivity before = PoolActivity.of(pool.dataSource());
			this.budgetedPools.dispose(pool.name());
			evicted.put(pool.name(), new EvictedPool(before.idle(), before.active(), 0,
					"keeps no idle connection; the " + before.active() + " in use close when returned; a connection "
							+ "opens when a caller needs one, up to " + pool.dataSource().getMaximumPoolSize()));
		}
		this.monitor.refresh();
		return new DisposedPoolsDescriptor(evicted);
	}

	private IdleSessionTermination terminateIdleSessions() {
		try {
			Connection connection = this.connections.borrowOnRequest();
			if (connection == null) {
				return IdleSessionTermination.skipped(this.idleSessionAge,
						"no connection to spare: every connection of the pool is in use, or no pool of a known database "
								+ "is under the budget");
			}
			try (connection) {
				ServerDialect dialect = ServerDialect.of(connection);
				if (dialect == null) {
					return IdleSessionTermination.skipped(this.idleSessionAge,
							"the pool's database is neither PostgreSQL nor MySQL/MariaDB");
				}
				// Read last, just before the server is asked: a connection the pools open after
				// this is younger than the age, unless the age is shorter than one query
				Set<Long> pooled = this.budgetedPools.getSessionIds();
				if (pooled == null) {
					return IdleSessionTermination.skipped(this.idleSessionAge, "the server sessions of this instance's "
							+ "pooled connections cannot be known (this HikariCP version or the pools' driver hides "
							+ "them), so the sessions of connections in use cannot be told from idle ones");
				}
				FleetState fleet = this.budgetedPools.getFleet();
				return dialect.terminateIdleSessions(connection, this.idleSessionAge, new SparedSessions(pooled,
						(fleet != null) ? PostgreSqlFleetMembership.groupKey(fleet.group()) : null));
			}
		}
		catch (SQLException ex) {
			return IdleSessionTermination.skipped(this.idleSessionAge,
					"could not ask the server: " + ex.getMessage());
		}
	}

	private static BudgetDescriptor describe(Budget budget, BudgetSettings settings) {
		ServerLimits server = budget.server();
		return new BudgetDescriptor(server.maxConnections(), server.serverReservedConnections(),
				budget.reservedConnections(), budget.availableConnections(), budget.serviceConnections(),
				budget.instances(), budget.perInstance(), budget.mode(), server.usableConnections(),
				limit(server.databaseConnectionLimit()), limit(server.roleConnectionLimit()), budget.share(),
				budget.minPoolSize(), sources(budget, settings));
	}

	private static @Nullable Integer limit(int limit) {
		return (limit > ServerLimits.NO_LIMIT) ? limit : null;
	}

	private static Map<String, String> sources(Budget budget, BudgetSettings settings) {
		ServerLimits server = budget.server();
		Map<String, String> sources = new LinkedHashMap<>();
		if (server.source() != ServerLimits.Source.CONFIGURED) {
			for (String field : SERVER_FIELDS) {
				sources.put(field, server.sources().getOrDefault(field, "server"));
			}
		}
		else {
			String maxConnections = settings.property("max-connections");
			sources.put("serverMaxConnections", maxConnections);
			sources.put("serverReservedConnections", "not asked, " + maxConnections + " is set");
		}
		sources.put("usableConnections", "serverMaxConnections - serverReservedConnections, "
				+ "at most databaseConnectionLimit and roleConnectionLimit");
		sources.put("reservedConnections", settings.property("reserved-connections"));
		sources.put("availableConnections", "usableConnections - reservedConnections");
		sources.put("serviceConnections", budget.serviceConnectionsConfigured()
				? settings.property("service-connections")
				: "floor(availableConnections x " + settings.property("share") + ")");
		sources.put("instances", "db.budget.instances");
		sources.put("perInstance", "floor(serviceConnections / instances)");
		return sources;
	}

	private PoolDescriptor describe(BudgetedPool pool) {
		HikariDataSource dataSource = pool.dataSource();
		PoolPlan plan = pool.plan();
		PoolActivity activity = PoolActivity.of(dataSource);
		Duration connectionTimeout = Duration.ofMillis(dataSource.getConnectionTimeout());
		Duration longestWait = (this.retrySettings != null) ? this.retrySettings.longestWait(connectionTimeout)
				: connectionTimeout;
		return new PoolDescriptor(plan.requestedMaximum(), plan.budget(), dataSource.getMaximumPoolSize(),
				dataSource.getMinimumIdle(), activity.active(), activity.idle(), activity.total(), activity.pending(),
				plan.fit(), longestWait, describe(pool.name()));
	}

	private @Nullable AdmissionGateDescriptor describe(String pool) {
		AdmissionGate gate = (this.admissionGates != null) ? this.admissionGates.get(pool) : null;
		if (gate == null) {
			return null;
		}
		long waits = gate.getWaits();
		Duration meanWait = (waits > 0) ? gate.getTotalWait().dividedBy(waits) : Duration.ZERO;
		return new AdmissionGateDescriptor(gate.getPermits(), gate.getAvailable(), gate.getWaiting(), waits,
				meanWait);
	}

	private static ServerDescriptor describe(ServerSample sample) {
		ServerActivity activity = sample.activity();
		if (activity == null) {
			return new ServerDescriptor(null, null, null, Map.of(), Map.of(), null, sample.failure(),
					sample.failedAt());
		}
		return new ServerDescriptor(activity.maxConnections(), activity.connections(), activity.utilization(),
				activity.byState(), activity.byApplication(), activity.sampledAt(), sample.failure(),
				sample.failedAt());
	}

	/**
	 * The status of this instance's connections.
	 *
	 * @param budget the budget, or {@code null} while the server's limits are not known or
	 * when the budget is off
	 * @param plan the plan as logged at start-up, one line each
	 * @param pools the pools under the budget, by bean name
	 * @param server the server's connections
	 * @param level how full the server is
	 * @param fleet what this instance knows of its fleet, or {@code null} when fleet
	 * coordination is off
	 * @param servers each server the pools reach, with its own budget; {@code budget} and
	 * {@code fleet} above are the first server's
	 * @param advice the server and pool settings that put the budget at risk, and how to fix
	 * them; empty when all is well, {@code null} when the advisor is off
	 */
	public record DbConnectionsDescriptor(@Nullable BudgetDescriptor budget, List<String> plan,
			Map<String, PoolDescriptor> pools, ServerDescriptor server, UtilizationLevel level,
			@Nullable FleetState fleet, List<ServerBudgetDescriptor> servers, @Nullable List<Advice> advice)
			implements OperationResponseBody {

	}

	/**
	 * One server the pools reach and its budget.
	 *
	 * @param server its hosts and ports
	 * @param pools the pools that reach it
	 * @param budget its budget, or {@code null} while its limits are not known
	 * @param fleet what this instance knows of its fleet on this server, or {@code null} when
	 * fleet coordination is off
	 */
	public record ServerBudgetDescriptor(String server, List<String> pools, @Nullable BudgetDescriptor budget,
			@Nullable FleetState fleet) {

	}

	/**
	 * The budget and where each of its numbers came from.
	 *
	 * @param serverMaxConnections the server's connection limit
	 * @param serverReservedConnections the server's own reserved slots
	 * @param reservedConnections connections kept free for everything outside this fleet
	 * @param availableConnections connections this fleet may share
	 * @param serviceConnections connections for this service's whole fleet
	 * @param instances instances of this service
	 * @param perInstance connections for this instance
	 * @param mode what happens to a pool that asks for more than its budget
	 * @param usableConnections connections the fleet's role may open on its database
	 * @param databaseConnectionLimit the database's connection limit, or {@code null} if none
	 * @param roleConnectionLimit the role's connection limit, or {@code null} if none
	 * @param share the configured share, or {@code null}
	 * @param minPoolSize the smallest useful pool
	 * @param sources where each number came from: a property, the server, or the arithmetic
	 */
	public record BudgetDescriptor(int serverMaxConnections, int serverReservedConnections, int reservedConnections,
			int availableConnections, int serviceConnections, int instances, int perInstance, BudgetMode mode,
			int usableConnections, @Nullable Integer databaseConnectionLimit, @Nullable Integer roleConnectionLimit,
			@Nullable Double share, int minPoolSize, Map<String, String> sources) {

	}

	/**
	 * One pool: its size, its budget and what its connections are doing.
	 *
	 * @param requested the maximum pool size its configuration asks for
	 * @param budget the connections the budget gives it
	 * @param maximumPoolSize its maximum pool size now
	 * @param minimumIdle its minimum idle now
	 * @param active connections handed out to the application
	 * @param idle connections waiting in the pool
	 * @param total open connections
	 * @param pending threads waiting for a connection
	 * @param fit how the request compares with the budget
	 * @param longestWait the longest a caller can wait for a connection, retries included
	 * @param admissionGate the admission gate in front of the pool, or {@code null} if it is
	 * off
	 */
	public record PoolDescriptor(int requested, int budget, int maximumPoolSize, int minimumIdle, int active, int idle,
			int total, int pending, PoolPlan.Fit fit, Duration longestWait,
			@Nullable AdmissionGateDescriptor admissionGate) {

	}

	/**
	 * The admission gate in front of a pool. Its waiting callers are not in the pool's
	 * {@code pending}.
	 *
	 * @param permits the permits, following the pool's maximum size
	 * @param available permits not held now; negative while the pool shrinks below the
	 * connections held
	 * @param waiting callers waiting at the gate now
	 * @param waited callers that had to wait at the gate, since start
	 * @param meanWait the mean wait of those callers
	 */
	public record AdmissionGateDescriptor(int permits, int available, int waiting, long waited, Duration meanWait) {

	}

	/**
	 * The server's connections, from the latest sample of {@code pg_stat_activity}.
	 *
	 * @param maxConnections the server's {@code max_connections}, or {@code null} if never
	 * sampled
	 * @param connections client sessions on the server, or {@code null} if never sampled
	 * @param utilization {@code connections / maxConnections}, or {@code null} if never sampled
	 * @param byState sessions by state; other roles' sessions are {@code unknown} without
	 * {@code pg_read_all_stats}
	 * @param byApplication sessions by {@code application_name}
	 * @param sampledAt when the numbers were read, or {@code null}
	 * @param error why the last sample failed, or {@code null} if it did not
	 * @param failedAt when the last sample failed, or {@code null}
	 */
	public record ServerDescriptor(@Nullable Integer maxConnections, @Nullable Integer connections,
			@Nullable Double utilization, Map<String, Integer> byState, Map<String, Integer> byApplication,
			@Nullable Instant sampledAt, @Nullable String error, @Nullable Instant failedAt) {

	}

	/**
	 * What {@code close-idle} closed.
	 *
	 * @param pools the connections closed in each pool
	 * @param server the server sessions ended
	 */
	public record ClosedIdleDescriptor(Map<String, EvictedPool> pools,
			IdleSessionTermination server) implements OperationResponseBody {

	}

	/**
	 * What a soft dispose closed.
	 *
	 * @param pools the connections closed in each pool
	 */
	public record DisposedPoolsDescriptor(Map<String, EvictedPool> pools) implements OperationResponseBody {

	}

	/**
	 * The connections a pool's soft eviction closed.
	 *
	 * @param closedIdle idle connections, closed at once
	 * @param closingOnReturn connections in use, closed when their user returns them
	 * @param minimumIdle the idle connections the pool keeps from now on
	 * @param next what the pool does from now on
	 */
	public record EvictedPool(int closedIdle, int closingOnReturn, int minimumIdle, String next) {

	}

}
