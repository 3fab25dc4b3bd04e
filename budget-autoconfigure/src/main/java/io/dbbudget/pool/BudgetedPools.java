package io.dbbudget.pool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.PoolOverBudgetException;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.budget.ServerOverrides;
import io.dbbudget.fleet.FleetCoordinator;
import io.dbbudget.fleet.FleetSettings;
import io.dbbudget.server.ServerDialect.DriverProperty;
import io.dbbudget.server.ServerDialect;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * This instance's Hikari pools, grouped by the server they reach, each server with its own
 * budget ({@link ServerPools}). Pools whose URLs name a host in common are on one server
 * ({@link ServerAddress#overlaps(ServerAddress)}): a URL of several hosts may land on any of
 * them, so its pool shares the budget of every pool on those hosts, and the server is keyed
 * by the union of their hosts. A pool that joins two servers merges them into one. Pools are
 * registered before they start. A pool that is not registered yet may still reach any
 * server, so every server's budget counts it until it registers; each registration can only
 * leave more to the pools of the other servers.
 *
 * @author db-budget team
 */
public class BudgetedPools implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(BudgetedPools.class);

	private static final String NO_KNOWN_DATABASE = "no pool's URL is PostgreSQL, MySQL or MariaDB and db.budget.max-connections is not set";

	private static final String NO_URL = "no pool has a jdbcUrl that names its server";

	private final BudgetSettings settings;

	private final Map<String, ServerOverrides> serverOverrides;

	private final Supplier<Collection<String>> poolNamesSupplier;

	private final @Nullable String applicationName;

	private final @Nullable FleetSettings fleetSettings;

	private final ToIntFunction<String> waitingInFront;

	private final PoolTrimmer trimmer = new PoolTrimmer();

	// Asked once, before any pool is wrapped: a wrapped pool's bean no longer has Hikari's type
	private @Nullable List<String> poolNames;

	// Pools that take no share of any server: a database db-budget cannot ask, and no limit configured
	private final Set<String> outsidePools = new HashSet<>();

	private final Map<String, ServerPools> serverOfPool = new LinkedHashMap<>();

	// Copied on registration, so that readers never wait for a registration that asks a server
	private volatile List<ServerPools> servers = List.of();

	private volatile @Nullable String budgetOffReason;

	/**
	 * Create a new instance.
	 * @param settings the fleet's settings
	 * @param serverOverrides what some servers' own settings replace, each server named by a
	 * pool that reaches it
	 * @param poolNames the bean names of every pool that shares this instance's budget,
	 * asked once when the first pool registers
	 * @param applicationName the name this application's sessions carry, if any
	 * @param fleetSettings how to count the fleet, or {@code null} to trust
	 * {@code settings.instances()}
	 * @param waitingInFront how many callers wait in front of a pool, by bean name, where
	 * Hikari does not count them (at the admission gate): they are demand too
	 */
	public BudgetedPools(BudgetSettings settings, Collection<ServerOverrides> serverOverrides,
			Supplier<Collection<String>> poolNames, @Nullable String applicationName,
			@Nullable FleetSettings fleetSettings, ToIntFunction<String> waitingInFront) {
		this.settings = settings;
		this.serverOverrides = new LinkedHashMap<>();
		for (ServerOverrides overrides : serverOverrides) {
			// Fails here, at start-up, rather than when the server's first pool registers
			settings.withServer(overrides);
			this.serverOverrides.put(overrides.pool(), overrides);
		}
		this.poolNamesSupplier = poolNames;
		this.applicationName = applicationName;
		this.fleetSettings = fleetSettings;
		this.waitingInFront = waitingInFront;
	}

	/**
	 * Sizes a pool to its server's budget before it starts, names its sessions after the
	 * application, and has its idle connections validated whenever one of its connections
	 * says that the server ended sessions.
	 * @param name the pool's bean name
	 * @param dataSource the pool
	 * @return its plan, or {@code null} if the pool is outside the budget
	 * @throws InvalidBudgetException if the settings cannot be met on its server
	 * @throws PoolOverBudgetException in {@code fail} mode, if the pool asks for more than
	 * its budget
	 */
	public synchronized @Nullable PoolPlan register(String name, HikariDataSource dataSource) {
		boolean startedEarly = dataSource.isRunning();
		ServerDialect dialect = ServerDialect.forUrl(dataSource.getJdbcUrl());
		if (startedEarly) {
			// new HikariDataSource(config) starts the pool and seals its configuration: only
			// what HikariConfigMXBean offers can still change
			logger.info("db-budget: pool '" + name + "' was started before db-budget saw it (new HikariDataSource("
					+ "config)): it is sized at run time, and its sessions keep the application_name they have");
		}
		else if (dialect != null) {
			if (this.applicationName != null) {
				nameSessions(dataSource, dialect, this.applicationName);
			}
			EndedSessionOverride.watch(name, dataSource, dialect.endedSessionStates());
		}
		if (this.poolNames == null) {
			this.poolNames = List.copyOf(this.poolNamesSupplier.get());
		}
		ServerOverrides overrides = this.serverOverrides.get(name);
		boolean limitConfigured = this.settings.maxConnections() != null
				|| (overrides != null && overrides.maxConnections() != null);
		String jdbcUrl = dataSource.getJdbcUrl();
		if (jdbcUrl == null) {
			// Configured by dataSourceClassName alone: its host is in driver properties of the
			// driver's own names, so which server it reaches, and whose budget it shares, is unknown
			logger.info("db-budget: pool '" + name + "' is outside the budget: it has no jdbcUrl (it is configured "
					+ "by dataSourceClassName), so db-budget cannot tell which server it reaches");
			return outside(name, NO_URL);
		}
		if (!limitConfigured && dialect == null) {
			logger.info("db-budget: pool '" + name + "' is outside the budget: db-budget cannot ask its database for "
					+ "its limits (it asks PostgreSQL, MySQL and MariaDB) and db.budget.max-connections is not set");
			return outside(name, NO_KNOWN_DATABASE);
		}
		this.budgetOffReason = null;
		ServerPools server = serverFor(name, ServerAddress.of(jdbcUrl), dialect);
		this.serverOfPool.put(name, server);
		reshapeAll();
		return server.register(name, dataSource, startedEarly);
	}

	private @Nullable PoolPlan outside(String name, String reason) {
		this.outsidePools.add(name);
		if (this.servers.isEmpty()) {
			this.budgetOffReason = reason;
		}
		reshapeAll();
		return null;
	}

	// The server whose hosts the pool's URL names, widened to all of them; a new one when it
	// names none of any server's, and one of several when it names hosts of several
	private ServerPools serverFor(String name, ServerAddress address, @Nullable ServerDialect dialect) {
		List<ServerPools> reached = this.servers.stream()
			.filter((server) -> server.getAddress().overlaps(address))
			.toList();
		if (reached.isEmpty()) {
			ServerPools server = new ServerPools(address, this.settings, this.applicationName,
					fleetSettingsOn(dialect), this.waitingInFront, this.trimmer);
			List<ServerPools> servers = new ArrayList<>(this.servers);
			servers.add(server);
			this.servers = List.copyOf(servers);
			return server;
		}
		if (reached.size() > 1) {
			logger.info("db-budget: pool '" + name + "' reaches hosts of " + reached.stream()
				.map((server) -> server.getAddress().toString())
				.collect(Collectors.joining(" and of ")) + ": their pools share one budget from now on");
		}
		ServerPools server = reached.get(0);
		server.widen(address);
		for (ServerPools other : reached.subList(1, reached.size())) {
			merge(server, other);
		}
		return server;
	}

	// Both servers may be the one the pool lands on, so they are one: the one registered
	// first keeps its plan and fleet, and takes over the other's pools
	private void merge(ServerPools server, ServerPools other) {
		other.close();
		server.widen(other.getAddress());
		this.serverOfPool.replaceAll((pool, reached) -> (reached == other) ? server : reached);
		this.servers = this.servers.stream().filter((reached) -> reached != other).toList();
		// Puts the moved pools' names into the budget before the pools themselves are resized to it
		reshapeAll();
		server.adopt(other.getPools());
	}

	// Names a pool's sessions after the application, unless its URL or properties already do
	private static void nameSessions(HikariDataSource dataSource, ServerDialect dialect, String applicationName) {
		DriverProperty name = dialect.applicationNameProperty(dataSource.getJdbcUrl(),
				dataSource.getDataSourceProperties(), applicationName);
		if (name != null) {
			dataSource.addDataSourceProperty(name.name(), name.value());
		}
	}

	private @Nullable FleetSettings fleetSettingsOn(@Nullable ServerDialect dialect) {
		if (this.fleetSettings == null || !this.fleetSettings.demandAware() || dialect == null
				|| dialect.publishesMemberState()) {
			return this.fleetSettings;
		}
		logger.info("db-budget: on " + dialect.name() + " the fleet's members can count each other but not see each "
				+ "other's demand, so they take equal shares");
		return this.fleetSettings.withEqualShares();
	}

	private void reshapeAll() {
		for (ServerPools server : this.servers) {
			server.reshape(settingsOf(server), poolNamesOf(server));
		}
	}

	// The pools registered on a server and those that may still register there
	private List<String> poolNamesOf(ServerPools server) {
		return this.poolNames.stream()
			.filter((name) -> !this.outsidePools.contains(name))
			.filter((name) -> this.serverOfPool.getOrDefault(name, server) == server)
			.toList();
	}

	private BudgetSettings settingsOf(ServerPools server) {
		ServerOverrides chosen = null;
		for (Map.Entry<String, ServerPools> entry : this.serverOfPool.entrySet()) {
			ServerOverrides overrides = this.serverOverrides.get(entry.getKey());
			if (entry.getValue() != server || overrides == null || overrides.isEmpty()) {
				continue;
			}
			if (chosen != null && !chosen.sameValues(overrides)) {
				throw new InvalidBudgetException("db.budget.servers." + overrides.pool(), overrides.pool(),
						"pools '" + chosen.pool() + "' and '" + overrides.pool() + "' reach the same server ("
								+ server.getAddress() + ") and their server settings differ",
						"Set the server's settings once, under db.budget.servers." + chosen.pool()
								+ ", and remove db.budget.servers." + overrides.pool() + ".");
			}
			chosen = overrides;
		}
		return (chosen != null) ? this.settings.withServer(chosen) : this.settings;
	}

	/**
	 * Closes a pool's idle connections now, and from then on keeps at most
	 * {@code min-pool-size} idle (or its own {@code minimum-idle}, if lower): more open only
	 * when callers need them.
	 * @param name the pool's bean name
	 * @return how many idle connections were closed
	 */
	public int closeIdle(String name) {
		ServerPools server = serverOf(name);
		return (server != null) ? server.closeIdle(name) : 0;
	}

	/**
	 * Closes the idle connections a pool holds above its minimum idle, for example the one it
	 * opened for db-budget's own query after {@link #closeIdle(String)}.
	 * @param name the pool's bean name
	 */
	public void trimIdle(String name) {
		ServerPools server = serverOf(name);
		if (server != null) {
			server.trimIdle(name);
		}
	}

	/**
	 * Disposes a pool softly: idle connections close now, those in use when they are
	 * returned, and from then on the pool keeps no idle connection: it opens one when a caller
	 * needs it.
	 * @param name the pool's bean name
	 */
	public void dispose(String name) {
		ServerPools server = serverOf(name);
		if (server != null) {
			server.dispose(name);
		}
	}

	private @Nullable ServerPools serverOf(String pool) {
		return this.servers.stream().filter((server) -> server.getPool(pool) != null).findFirst().orElse(null);
	}

	/**
	 * The servers this instance's pools reach, each with its own budget, in the order their
	 * first pools registered.
	 * @return the servers
	 */
	public List<ServerPools> getServers() {
		return this.servers;
	}

	/**
	 * What this instance knows of its fleet on its first server, when fleet coordination is
	 * on.
	 * @return the fleet's state, or {@code null}
	 */
	public FleetCoordinator.@Nullable FleetState getFleet() {
		ServerPools first = first();
		return (first != null) ? first.getFleet() : null;
	}

	/**
	 * The budget on the first server, once its limits are known.
	 * @return the budget, or {@code null} while the server has not answered or the budget is
	 * off
	 */
	public @Nullable Budget getBudget() {
		ServerPools first = first();
		return (first != null) ? first.getBudget() : null;
	}

	/**
	 * The first server's settings, read with its limits.
	 * @return the settings, or {@code null} while the server has not answered or when it is
	 * not asked
	 */
	public @Nullable ServerSettings getServerSettings() {
		ServerPools first = first();
		return (first != null) ? first.getServerSettings() : null;
	}

	private @Nullable ServerPools first() {
		List<ServerPools> servers = this.servers;
		return servers.isEmpty() ? null : servers.get(0);
	}

	/**
	 * The pools under the budget, server by server, in registration order.
	 * @return the pools
	 */
	public List<BudgetedPool> getPools() {
		List<BudgetedPool> pools = new ArrayList<>();
		this.servers.forEach((server) -> pools.addAll(server.getPools()));
		return pools;
	}

	/**
	 * One pool under the budget.
	 * @param name its bean name
	 * @return the pool, or {@code null}
	 */
	public @Nullable BudgetedPool getPool(String name) {
		ServerPools server = serverOf(name);
		return (server != null) ? server.getPool(name) : null;
	}

	/**
	 * The server sessions of every connection the pools hold now, in use or idle, so that
	 * they are never ended from the server side.
	 * @return the sessions' ids (PostgreSQL backend pids, MySQL and MariaDB connection ids), or
	 * {@code null} if those of some pool cannot be known
	 * @see PooledSessions
	 */
	public @Nullable Set<Long> getSessionIds() {
		Set<Long> ids = new HashSet<>();
		for (BudgetedPool pool : getPools()) {
			Set<Long> sessions = PooledSessions.of(pool.dataSource());
			if (sessions == null) {
				return null;
			}
			ids.addAll(sessions);
		}
		return ids;
	}

	/**
	 * The plan in a few readable lines: each server's numbers and their source, the
	 * arithmetic and each pool's requested and applied size.
	 * @return the plan
	 */
	public String describe() {
		List<ServerPools> servers = this.servers;
		String budgetOffReason = this.budgetOffReason;
		if (budgetOffReason != null) {
			return PlanDescription.off(this.settings.mode(), budgetOffReason);
		}
		if (servers.size() == 1) {
			return servers.get(0).describe();
		}
		return PlanDescription.ofServers(this.settings.mode(),
				servers.stream().map(ServerPools::describeSection).toList());
	}

	@Override
	public void close() {
		this.servers.forEach(ServerPools::close);
		this.trimmer.close();
	}

	/**
	 * A pool under the budget.
	 *
	 * @param name its bean name
	 * @param dataSource the pool
	 * @param plan how it is sized
	 * @param startedEarly whether the pool had started before it was registered, so that only
	 * its size could be changed, at run time
	 * @param idleLimit the most idle connections it keeps once {@code close-idle} or a dispose
	 * has made it elastic, or {@code -1} for its own {@code minimum-idle}
	 */
	public record BudgetedPool(String name, HikariDataSource dataSource, PoolPlan plan, boolean startedEarly,
			int idleLimit) {

		BudgetedPool withPlan(PoolPlan plan) {
			return new BudgetedPool(this.name, this.dataSource, plan, this.startedEarly, this.idleLimit);
		}

		BudgetedPool withIdleLimit(int idleLimit) {
			int limit = (this.idleLimit >= 0) ? Math.min(this.idleLimit, idleLimit) : idleLimit;
			return new BudgetedPool(this.name, this.dataSource, this.plan, this.startedEarly, limit);
		}

	}

}
