package io.dbbudget.pool;

import java.sql.SQLException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.BudgetMode;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.PoolOverBudgetException;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.fleet.FleetCoordinator;
import io.dbbudget.fleet.FleetMember;
import io.dbbudget.fleet.FleetSettings;
import io.dbbudget.fleet.FleetTurns;
import io.dbbudget.fleet.MemberState;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.server.pgbouncer.PgBouncerLimits;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * This instance's pools on one server and the budget they share there. The first pool to
 * register computes the budget, asking the server on one short-lived connection (with
 * {@code max-connections} configured, without asking). When the server cannot be asked, the
 * pools start at {@code min-pool-size} and a background task completes the plan and resizes
 * them as soon as the server answers. With fleet coordination on, the instances count each
 * other through the server and every change of the count resizes the pools.
 *
 * @author db-budget team
 */
public class ServerPools implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(ServerPools.class);

	private static final String UNBUDGETED = "PgBouncer's limits cannot be read (db.budget.mode=warn), pools as configured";

	// Widened when a pool that reaches these hosts and others registers: the pools of both
	// may land on one server, so they share its budget
	private volatile ServerAddress address;

	private BudgetSettings settings;

	private final ToIntFunction<String> waitingInFront;

	// The pools that may take a share of this server: those registered here and those not
	// registered anywhere yet
	private List<String> poolNames = List.of();

	private final @Nullable String applicationName;

	private final Map<String, BudgetedPool> pools = new LinkedHashMap<>();

	private @Nullable Budget budget;

	private boolean planned;

	// The server's limits cannot be known (PgBouncer's console cannot be read) and the mode is
	// warn: the pools are left as configured
	private boolean unbudgeted;

	private @Nullable PlanCompleter planCompleter;

	private final PoolTrimmer trimmer;

	private final @Nullable FleetSettings fleetSettings;

	private @Nullable FleetCoordinator fleet;

	private @Nullable DemandSampler demand;

	// This member's turns in the fleet, while coordination runs
	private @Nullable FleetTurns turns;

	// Pools lowered since this member last published what it holds
	private final Set<String> shrunkThisTurn = new HashSet<>();

	// Closed on shutdown, or when a pool that reaches its hosts and another server's merged it
	// into that server
	private boolean closed;

	// Read with the limits, on the same connection, for the advisor
	private volatile @Nullable ServerSettings serverSettings;

	ServerPools(ServerAddress address, BudgetSettings settings, @Nullable String applicationName,
			@Nullable FleetSettings fleetSettings, ToIntFunction<String> waitingInFront, PoolTrimmer trimmer) {
		this.address = address;
		this.settings = settings;
		this.applicationName = applicationName;
		this.fleetSettings = fleetSettings;
		this.waitingInFront = waitingInFront;
		this.trimmer = trimmer;
	}

	/**
	 * Sizes a pool to its budget on this server.
	 * @param name the pool's bean name
	 * @param dataSource the pool
	 * @param startedEarly whether the pool had started before it was registered
	 * @return its plan, or {@code null} if the pool is outside the budget
	 * @throws InvalidBudgetException if the settings cannot be met on this server
	 * @throws PoolOverBudgetException in {@code fail} mode, if the pool asks for more than
	 * its budget
	 */
	synchronized @Nullable PoolPlan register(String name, HikariDataSource dataSource, boolean startedEarly) {
		if (!this.planned) {
			plan(dataSource);
			this.planned = true;
		}
		if (this.unbudgeted) {
			return null;
		}
		Integer poolBudget = poolBudget(name);
		if (poolBudget == null) {
			logOutsideTheBudget(name);
			return null;
		}
		int requestedMaximum = dataSource.getMaximumPoolSize();
		int requestedMinimumIdle = dataSource.getMinimumIdle();
		if (this.budget != null && this.settings.mode() == BudgetMode.FAIL
				&& requestedMaximum > this.budget.poolBudget(name)) {
			throw new PoolOverBudgetException(PoolPlan.of(name, requestedMaximum, requestedMinimumIdle,
					this.budget.poolBudget(name), BudgetMode.FAIL), this.budget);
		}
		// A coordinated pool that holds its whole share whatever its load would keep the others
		// from growing into what it does not use: unless it sets its own minimum-idle, it
		// keeps min-pool-size idle and opens more as callers need them
		int idleLimit = (this.fleetSettings != null && this.fleetSettings.demandAware() && requestedMinimumIdle < 0)
				? this.settings.minPoolSize() : -1;
		PoolPlan plan = size(name, requestedMaximum, requestedMinimumIdle, poolBudget).limitIdle(idleLimit);
		apply(new BudgetedPool(name, dataSource, plan, startedEarly, idleLimit));
		logDecision(plan);
		return plan;
	}

	private void plan(HikariDataSource first) {
		Integer maxConnections = this.settings.maxConnections();
		ServerProbe probe = ServerProbe.of(first, this.applicationName);
		if (maxConnections != null) {
			this.budget = Budget.calculate(this.settings, ServerLimits.configured(maxConnections), this.poolNames);
			// The server is not asked for its limits, but coordination must know whether it runs
			// through a pooler that would hand its locks to other clients
			if (this.fleetSettings != null && coordinationSafe(probe)) {
				startFleet(probe);
			}
			return;
		}
		ServerReading reading;
		try {
			reading = probe.read(this::serverSettingsRead);
		}
		catch (SQLException ex) {
			logger.warn("db-budget: could not read the server's connection limits (" + ex.getMessage() + "); pools on "
					+ this.address + " start at db.budget.min-pool-size (" + this.settings.minPoolSize()
					+ ") and are resized when the server answers");
			if (this.fleetSettings != null) {
				startFleet(probe);
			}
			this.planCompleter = new PlanCompleter(probe, this::serverSettingsRead, this::complete);
			this.planCompleter.start();
			return;
		}
		ServerLimits limits = PoolerRules.limits(reading, this.settings, this.address);
		if (limits == null) {
			this.unbudgeted = true;
			return;
		}
		this.budget = Budget.calculate(this.settings, limits, this.poolNames);
		if (this.fleetSettings != null && PoolerRules.coordinationSafe(reading.pooler(), this.settings, this.address)) {
			startFleet(probe);
		}
	}

	private boolean coordinationSafe(@Nullable ServerProbe probe) {
		PgBouncerLimits pooler;
		try {
			pooler = (probe != null) ? probe.readPooler() : null;
		}
		catch (SQLException ex) {
			// Cannot be told now: coordination checks each of its connections before it counts
			// the fleet on one (see CoordinationConnections)
			return true;
		}
		return PoolerRules.coordinationSafe(pooler, this.settings, this.address);
	}

	private void startFleet(@Nullable ServerProbe probe) {
		if (probe == null) {
			logger.warn("db-budget: fleet coordination is off for " + this.address + ": it counts the fleet on a "
					+ "PostgreSQL, MySQL or MariaDB server, and the DataSource URL is none of them");
			return;
		}
		this.turns = new FleetTurns(this.fleetSettings, probe.dialect().publishesMemberState());
		this.demand = new DemandSampler(this::getPools, this.waitingInFront);
		this.demand.start(this.fleetSettings.heartbeat());
		this.fleet = new FleetCoordinator(this.fleetSettings, new CoordinationConnections(probe, this::getAddress),
				new FleetListener());
		this.fleet.start();
	}

	private boolean holdingAtMinimum() {
		return this.budget == null || (this.turns != null && this.turns.holdsAtMinimum());
	}

	private @Nullable Integer poolBudget(String name) {
		if (this.budget != null && this.budget.poolBudget(name) == null) {
			return null;
		}
		return holdingAtMinimum() ? this.settings.minPoolSize() : this.budget.poolBudget(name);
	}

	private static void logOutsideTheBudget(String name) {
		logger.warn("db-budget: pool '" + name + "' is outside the budget: its bean type is not declared as "
				+ "HikariDataSource. Declare the @Bean method's return type as HikariDataSource, or set "
				+ "db.budget.pools." + name + ".weight.");
	}

	private PoolPlan size(String name, int requestedMaximum, int requestedMinimumIdle, int poolBudget) {
		// While pools are held at min-pool-size they are held whatever the mode
		BudgetMode mode = holdingAtMinimum() ? BudgetMode.ENFORCE : this.settings.mode();
		return PoolPlan.of(name, requestedMaximum, requestedMinimumIdle, poolBudget, mode);
	}

	private void logDecision(PoolPlan plan) {
		String change = "'" + plan.name() + "' maximum-pool-size " + plan.requestedMaximum();
		if (this.budget == null) {
			logger.info("db-budget: pool " + change + " starts at " + plan.maximumPoolSize()
					+ " until the server's limits are known");
		}
		else if (joiningFleet()) {
			logger.info("db-budget: pool " + change + " starts at " + plan.maximumPoolSize()
					+ " until the fleet has counted this instance");
		}
		else if (plan.fit() == PoolPlan.Fit.LOWERED) {
			logger.warn("db-budget: lowered pool " + change + " to its budget of " + plan.budget());
		}
		else if (plan.fit() == PoolPlan.Fit.OVER_BUDGET) {
			logger.warn("db-budget: pool " + change + " is over its budget of " + plan.budget()
					+ " (db.budget.mode=" + this.settings.mode().name().toLowerCase() + ")");
		}
	}

	/**
	 * Completes a plan that started without the server's limits, and resizes every pool to it.
	 * @param reading what the server answered
	 */
	synchronized void complete(ServerReading reading) {
		if (this.closed) {
			// Merged into another server while the server answered: its pools are resized there
			return;
		}
		ServerLimits limits;
		try {
			limits = PoolerRules.limits(reading, this.settings, this.address);
			if (this.fleet != null && !PoolerRules.coordinationSafe(reading.pooler(), this.settings, this.address)) {
				stopFleet();
			}
			if (limits == null) {
				this.unbudgeted = true;
				resizeAll();
				return;
			}
			this.budget = Budget.calculate(this.settings, limits, this.poolNames);
		}
		catch (InvalidBudgetException ex) {
			logger.error("db-budget: the server answered but the budget cannot be met, pools stay at "
					+ "db.budget.min-pool-size: " + ex.getProperty() + " = " + ex.getValue() + ": " + ex.getReason()
					+ ". " + ex.getAction());
			return;
		}
		resizeAll();
		logger.info("db-budget: the server answered, plan completed and pools resized (" + this.address + ")\n"
				+ describe());
	}

	// Coordination found unsafe once the server answered: the budget counts the configured
	// instances instead
	private void stopFleet() {
		this.fleet.close();
		this.demand.close();
		this.fleet = null;
		this.demand = null;
		this.turns = null;
	}

	/**
	 * Takes this member's turn in the fleet: computes its share from what the members
	 * published, resizes the pools to it and says what to publish.
	 * @param slot this member's slot, or {@code -1} if it has none
	 * @param members the members seen
	 * @return this member's demand, connections held and allocation
	 */
	synchronized MemberState membersSeen(int slot, List<FleetMember> members) {
		// No member wants more than its pools ask for, whatever its callers do
		if (this.demand == null) {
			// Coordination was stopped while this turn waited for the lock
			return new MemberState(0, 0, allocation());
		}
		int demand = Math.min(this.demand.take(),
				this.pools.values().stream().mapToInt((pool) -> pool.plan().requestedMaximum()).sum());
		if (this.budget != null && slot >= 0 && !members.isEmpty()) {
			share(slot, members, demand);
		}
		int held = 0;
		for (BudgetedPool pool : this.pools.values()) {
			int total = PoolActivity.of(pool.dataSource()).total();
			if (total > pool.dataSource().getMaximumPoolSize()) {
				// A connection that was being opened when the pool shrank has landed since
				this.trimmer.trim(pool.dataSource());
			}
			// Hikari opens a pool's connections one at a time, and one still being opened when
			// the pool shrank is not in its total yet: the others must not grow into it
			held += total + (this.shrunkThisTurn.contains(pool.name()) ? 1 : 0);
		}
		this.shrunkThisTurn.clear();
		return new MemberState(demand, held, allocation());
	}

	private void share(int slot, List<FleetMember> members, int demand) {
		FleetTurns.Turn turn = this.turns.take(this.settings, this.budget, this.poolNames, slot, members, demand,
				allocation());
		if (turn == null) {
			resizeAll();
			return;
		}
		this.budget = turn.budget();
		resizeAll();
		int allocation = allocation();
		if (this.turns.changed(turn, members.size(), allocation)) {
			this.fleet.recordChange(members.size(), this.budget.perInstance(), allocation);
			logger.info("db-budget: fleet '" + this.fleetSettings.group() + "' counts " + members.size() + " members; "
					+ "this one's demand " + demand + ", allocation " + allocation
					+ ((turn.share().allocation() < turn.share().fair())
							? " (growing to " + turn.share().fair() + " as others shrink)" : "")
					+ "; pools " + this.pools.values()
						.stream()
						.map((pool) -> pool.name() + " " + pool.dataSource().getMaximumPoolSize())
						.toList());
		}
	}

	private boolean joiningFleet() {
		return this.turns != null && this.turns.isJoining();
	}

	private int allocation() {
		return this.pools.values().stream().mapToInt((pool) -> pool.plan().maximumPoolSize()).sum();
	}

	synchronized void coordinationLost() {
		if (this.turns != null) {
			this.turns.lost();
			resizeAll();
		}
	}

	synchronized void limitsRead(ServerLimits limits) {
		if (this.budget != null && this.turns != null) {
			this.turns.limitsRead(limits, this.budget);
		}
	}

	/**
	 * Resizes every pool to the current plan. A pool that shrinks closes exactly what it
	 * holds above its new size, on the trimmer's thread, never under this object's lock.
	 */
	private void resizeAll() {
		for (BudgetedPool pool : List.copyOf(this.pools.values())) {
			PoolPlan requested = pool.plan();
			Integer poolBudget = this.unbudgeted ? Integer.valueOf(requested.requestedMaximum())
					: poolBudget(pool.name());
			if (poolBudget == null) {
				release(pool);
				continue;
			}
			PoolPlan plan = size(pool.name(), requested.requestedMaximum(), requested.requestedMinimumIdle(),
					poolBudget);
			if (plan.fit() == PoolPlan.Fit.OVER_BUDGET && this.settings.mode() == BudgetMode.FAIL) {
				// Start-up is over, so fail mode cannot refuse it any more: enforce the budget
				logger.error("db-budget: pool '" + pool.name() + "' asks for " + plan.requestedMaximum()
						+ " connections, over its budget of " + plan.budget() + " (db.budget.mode=fail); lowering it");
				plan = PoolPlan.of(pool.name(), plan.requestedMaximum(), plan.requestedMinimumIdle(), plan.budget(),
						BudgetMode.ENFORCE);
			}
			apply(pool.withPlan(plan.limitIdle(pool.idleLimit())));
		}
	}

	// A pool that registered at min-pool-size while the budget waited for the server, though
	// it is not one of the pools that share it (its bean was not known to be a Hikari pool when
	// they were counted): it leaves the budget as configured, as it would have had the server
	// answered at once
	private void release(BudgetedPool pool) {
		PoolPlan requested = pool.plan();
		logOutsideTheBudget(pool.name());
		PoolResizer.apply(pool.dataSource(), PoolPlan.of(pool.name(), requested.requestedMaximum(),
				requested.requestedMinimumIdle(), requested.requestedMaximum(), BudgetMode.ENFORCE));
		this.pools.remove(pool.name());
	}

	private void apply(BudgetedPool pool) {
		if (pool.dataSource().isRunning() && pool.plan().maximumPoolSize() < pool.dataSource().getMaximumPoolSize()) {
			this.shrunkThisTurn.add(pool.name());
		}
		if (PoolResizer.apply(pool.dataSource(), pool.plan())) {
			this.trimmer.trim(pool.dataSource());
		}
		this.pools.put(pool.name(), pool);
	}

	/**
	 * Closes a pool's idle connections now, and from then on keeps at most
	 * {@code min-pool-size} idle (or its own {@code minimum-idle}, if lower): more open only
	 * when callers need them.
	 * @param name the pool's bean name
	 * @return how many idle connections were closed
	 */
	int closeIdle(String name) {
		BudgetedPool pool = limitIdle(name, this.settings.minPoolSize());
		return (pool != null) ? PoolTrimmer.closeIdle(pool.dataSource(), Integer.MAX_VALUE) : 0;
	}

	/**
	 * Closes the idle connections a pool holds above its minimum idle, for example the one it
	 * opened for db-budget's own query after {@link #closeIdle(String)}.
	 * @param name the pool's bean name
	 */
	void trimIdle(String name) {
		BudgetedPool pool = getPool(name);
		if (pool != null) {
			HikariDataSource dataSource = pool.dataSource();
			PoolTrimmer.closeIdle(dataSource, PoolActivity.of(dataSource).idle() - dataSource.getMinimumIdle());
		}
	}

	/**
	 * Disposes a pool softly: idle connections close now, those in use when they are
	 * returned, and from then on the pool keeps no idle connection: it opens one when a caller
	 * needs it.
	 * @param name the pool's bean name
	 */
	void dispose(String name) {
		BudgetedPool pool = limitIdle(name, 0);
		if (pool != null && pool.dataSource().getHikariPoolMXBean() != null) {
			pool.dataSource().getHikariPoolMXBean().softEvictConnections();
		}
	}

	private synchronized @Nullable BudgetedPool limitIdle(String name, int idleLimit) {
		BudgetedPool pool = this.pools.get(name);
		if (pool == null) {
			return null;
		}
		BudgetedPool limited = pool.withIdleLimit(idleLimit);
		apply(limited.withPlan(limited.plan().limitIdle(limited.idleLimit())));
		return limited;
	}

	/**
	 * What this instance knows of its fleet, when fleet coordination is on.
	 * @return the fleet's state, or {@code null}
	 */
	public FleetCoordinator.@Nullable FleetState getFleet() {
		// Read outside this object's lock: the coordinator calls in here under its own
		FleetCoordinator fleet;
		synchronized (this) {
			fleet = this.fleet;
		}
		return (fleet != null) ? fleet.state() : null;
	}

	/**
	 * The budget, once the server's limits are known.
	 * @return the budget, or {@code null} while the server has not answered or the budget is
	 * off
	 */
	public synchronized @Nullable Budget getBudget() {
		return this.budget;
	}

	/**
	 * The server's settings, read with its limits.
	 * @return the settings, or {@code null} while the server has not answered or when it is
	 * not asked
	 */
	public @Nullable ServerSettings getServerSettings() {
		return this.serverSettings;
	}

	private void serverSettingsRead(ServerSettings settings) {
		this.serverSettings = settings;
	}

	/**
	 * The pools under the budget, in registration order.
	 * @return the pools
	 */
	public synchronized List<BudgetedPool> getPools() {
		return List.copyOf(this.pools.values());
	}

	/**
	 * One pool under the budget.
	 * @param name its bean name
	 * @return the pool, or {@code null}
	 */
	public synchronized @Nullable BudgetedPool getPool(String name) {
		return this.pools.get(name);
	}

	/**
	 * The plan in a few readable lines: the server's numbers and their source, the arithmetic
	 * and each pool's requested and applied size.
	 * @return the plan
	 */
	public synchronized String describe() {
		if (this.unbudgeted) {
			return PlanDescription.off(this.settings.mode(), UNBUDGETED);
		}
		return PlanDescription.of(this.settings, this.budget, this.fleetSettings, joiningFleet(), getPools());
	}

	/**
	 * The plan as one server's section of a plan over several servers.
	 * @return the section
	 */
	synchronized String describeSection() {
		if (this.unbudgeted) {
			return PlanDescription.offSection(this.address, UNBUDGETED);
		}
		return PlanDescription.section(this.address, this.settings, this.budget, this.fleetSettings,
				joiningFleet(), getPools());
	}

	/**
	 * This server's settings: the fleet's, with what the server's own settings replace.
	 * @return the settings
	 */
	public synchronized BudgetSettings getSettings() {
		return this.settings;
	}

	/**
	 * The server these pools reach: every host that one of them names.
	 * @return its address
	 */
	public ServerAddress getAddress() {
		return this.address;
	}

	/**
	 * Widens this server to the hosts of a pool that names some of its hosts and others.
	 * @param reached the server the pool's URL reaches
	 */
	void widen(ServerAddress reached) {
		this.address = this.address.union(reached);
	}

	/**
	 * Takes over the pools of a server that turned out to be this one (a pool registered
	 * since names hosts of both), and resizes them to this server's budget. The other server
	 * is closed first; its pools' names are already in this server's budget.
	 * @param moved the pools registered on the other server
	 */
	synchronized void adopt(List<BudgetedPool> moved) {
		moved.forEach((pool) -> this.pools.put(pool.name(), pool));
		resizeAll();
	}

	/**
	 * Budgets this server again when the pools that may share it or its settings change: a
	 * pool registered on another server leaves more to the pools here.
	 * @param settings this server's settings
	 * @param poolNames the pools that may share this server
	 * @throws InvalidBudgetException if the settings cannot be met on this server
	 */
	synchronized void reshape(BudgetSettings settings, List<String> poolNames) {
		if (settings.equals(this.settings) && poolNames.equals(this.poolNames)) {
			return;
		}
		this.settings = settings;
		this.poolNames = poolNames;
		if (this.budget == null) {
			// The plan is not made yet, or waits for the server: it is made with these
			return;
		}
		ServerLimits server = (settings.maxConnections() != null) ? ServerLimits.configured(settings.maxConnections())
				: this.budget.server();
		if (this.budget.allocated()) {
			// Keep this member's allocation until its next turn in the fleet spreads it again
			this.budget = Budget.calculate(settings.withInstances(this.budget.instances()), server, poolNames)
				.withAllocation(settings, this.budget.perInstance() - this.budget.coordinationConnections());
		}
		else {
			this.budget = Budget.calculate(settings, server, poolNames);
		}
		resizeAll();
	}

	@Override
	public void close() {
		PlanCompleter planCompleter;
		FleetCoordinator fleet;
		DemandSampler demand;
		// Outside this object's lock: a heartbeat may be waiting for it
		synchronized (this) {
			this.closed = true;
			planCompleter = this.planCompleter;
			fleet = this.fleet;
			demand = this.demand;
		}
		if (planCompleter != null) {
			planCompleter.close();
		}
		if (fleet != null) {
			fleet.close();
		}
		if (demand != null) {
			demand.close();
		}
	}

	private final class FleetListener implements FleetCoordinator.Listener {

		@Override
		public MemberState membersSeen(int slot, List<FleetMember> members) {
			return ServerPools.this.membersSeen(slot, members);
		}

		@Override
		public void coordinationLost() {
			ServerPools.this.coordinationLost();
		}

		@Override
		public void limitsRead(ServerLimits limits) {
			ServerPools.this.limitsRead(limits);
		}

	}

}
