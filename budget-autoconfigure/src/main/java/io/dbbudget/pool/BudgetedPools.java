package io.dbbudget.pool;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.BudgetMode;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.PoolOverBudgetException;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.server.BackgroundScheduler;
import io.dbbudget.server.ServerLimitsReader;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * This instance's Hikari pools and the budget they share. Pools are registered before they
 * start; the first registration computes the budget, asking the server on one short-lived
 * connection unless {@code max-connections} is configured. When the server cannot be asked,
 * pools start at {@code min-pool-size} and a background task completes the plan and resizes
 * them as soon as the server answers. With fleet coordination on, the instances count each
 * other through the server and every change of the count resizes the pools.
 *
 * @author db-budget team
 */
public class BudgetedPools implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(BudgetedPools.class);

	private static final Duration FIRST_RETRY_DELAY = Duration.ofSeconds(1);

	private static final Duration LONGEST_RETRY_DELAY = Duration.ofSeconds(30);

	private final BudgetSettings settings;

	private final Supplier<Collection<String>> poolNamesSupplier;

	// Asked once, before any pool is wrapped: a wrapped pool's bean no longer has Hikari's type
	private Collection<String> poolNames = List.of();

	private final @Nullable String applicationName;

	private final Map<String, BudgetedPool> pools = new LinkedHashMap<>();

	private @Nullable Budget budget;

	private @Nullable String budgetOffReason;

	private boolean planned;

	private @Nullable ScheduledExecutorService planCompleter;

	private final @Nullable FleetSettings fleetSettings;

	private @Nullable FleetCoordinator fleet;

	// A member that has just joined holds its pools at min-pool-size until the others have
	// seen it, so that the fleet's sum stays within the service budget
	private boolean joiningFleet;

	// Pools kept below their plan because growing was not yet safe
	private boolean growthPending;

	// Read with the limits, on the same connection, for the advisor
	private volatile @Nullable ServerSettings serverSettings;

	/**
	 * Create a new instance.
	 * @param settings the fleet's settings
	 * @param poolNames the bean names of every pool that shares this instance's budget,
	 * asked once when the first pool registers
	 * @param applicationName the name this application's sessions carry, if any
	 */
	public BudgetedPools(BudgetSettings settings, Supplier<Collection<String>> poolNames,
			@Nullable String applicationName) {
		this(settings, poolNames, applicationName, null);
	}

	/**
	 * Create a new instance.
	 * @param settings the fleet's settings
	 * @param poolNames the bean names of every pool that shares this instance's budget,
	 * asked once when the first pool registers
	 * @param applicationName the name this application's sessions carry, if any
	 * @param fleetSettings how to count the fleet, or {@code null} to trust
	 * {@code settings.instances()}
	 */
	public BudgetedPools(BudgetSettings settings, Supplier<Collection<String>> poolNames,
			@Nullable String applicationName, @Nullable FleetSettings fleetSettings) {
		this.settings = settings;
		this.poolNamesSupplier = poolNames;
		this.applicationName = applicationName;
		this.fleetSettings = fleetSettings;
	}

	/**
	 * Sizes a pool to its budget before it starts, and names its sessions after the
	 * application.
	 * @param name the pool's bean name
	 * @param dataSource the pool
	 * @return its plan, or {@code null} if the pool is outside the budget
	 * @throws InvalidBudgetException if the settings cannot be met on this server
	 * @throws PoolOverBudgetException in {@code fail} mode, if the pool asks for more than
	 * its budget
	 */
	public synchronized @Nullable PoolPlan register(String name, HikariDataSource dataSource) {
		if (this.applicationName != null) {
			ApplicationName.apply(dataSource, this.applicationName);
		}
		if (!this.planned) {
			plan(dataSource);
			this.planned = true;
		}
		if (this.budgetOffReason != null) {
			return null;
		}
		if (this.settings.maxConnections() == null && !ServerProbe.isPostgreSql(dataSource)) {
			logger.info("db-budget: pool '" + name + "' is outside the budget: its URL is not PostgreSQL and "
					+ "db.budget.max-connections is not set");
			return null;
		}
		Integer poolBudget = poolBudget(name);
		if (poolBudget == null) {
			logger.warn("db-budget: pool '" + name + "' is outside the budget: its bean type is not declared as "
					+ "HikariDataSource. Declare the @Bean method's return type as HikariDataSource, or set "
					+ "db.budget.pools." + name + ".weight.");
			return null;
		}
		int requestedMaximum = dataSource.getMaximumPoolSize();
		int requestedMinimumIdle = dataSource.getMinimumIdle();
		if (this.budget != null && this.settings.mode() == BudgetMode.FAIL
				&& requestedMaximum > this.budget.poolBudget(name)) {
			throw new PoolOverBudgetException(PoolPlan.of(name, requestedMaximum, requestedMinimumIdle,
					this.budget.poolBudget(name), BudgetMode.FAIL), this.budget);
		}
		PoolPlan plan = size(name, requestedMaximum, requestedMinimumIdle, poolBudget);
		PoolResizer.apply(dataSource, plan);
		this.pools.put(name, new BudgetedPool(name, dataSource, plan));
		logDecision(plan);
		return plan;
	}

	private void plan(HikariDataSource first) {
		this.poolNames = List.copyOf(this.poolNamesSupplier.get());
		Integer maxConnections = this.settings.maxConnections();
		DataSource probe = ServerProbe.isPostgreSql(first) ? ServerProbe.of(first, this.applicationName) : null;
		if (this.fleetSettings != null) {
			startFleet(probe);
		}
		if (maxConnections != null) {
			this.budget = Budget.calculate(this.settings, ServerLimits.configured(maxConnections),
					this.poolNames);
			return;
		}
		if (probe == null) {
			this.budgetOffReason = "the DataSource URL is not PostgreSQL and db.budget.max-connections is not set";
			logger.info("db-budget: budget off: " + this.budgetOffReason);
			return;
		}
		try {
			this.budget = Budget.calculate(this.settings, ServerLimitsReader.read(probe, this::serverSettingsRead),
					this.poolNames);
		}
		catch (SQLException ex) {
			logger.warn("db-budget: could not read the server's connection limits (" + ex.getMessage()
					+ "); pools start at db.budget.min-pool-size (" + this.settings.minPoolSize()
					+ ") and are resized when the server answers");
			startPlanCompleter(probe);
		}
	}

	private void startFleet(@Nullable DataSource probe) {
		if (probe == null) {
			logger.warn("db-budget: fleet coordination is off: it counts the fleet on a PostgreSQL server, and the "
					+ "DataSource URL is not PostgreSQL");
			return;
		}
		this.joiningFleet = true;
		this.fleet = new FleetCoordinator(this.fleetSettings, probe, new FleetListener(), Clock.systemUTC());
		this.fleet.start();
	}

	private boolean holdingAtMinimum() {
		return this.budget == null || this.joiningFleet;
	}

	private @Nullable Integer poolBudget(String name) {
		if (this.budget != null && this.budget.poolBudget(name) == null) {
			return null;
		}
		return holdingAtMinimum() ? this.settings.minPoolSize() : this.budget.poolBudget(name);
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
		else if (this.joiningFleet) {
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

	private void startPlanCompleter(DataSource probe) {
		ScheduledExecutorService executor = BackgroundScheduler.create("db-budget-plan");
		this.planCompleter = executor;
		scheduleCompletion(executor, probe, FIRST_RETRY_DELAY);
	}

	private void scheduleCompletion(ScheduledExecutorService executor, DataSource probe, Duration delay) {
		executor.schedule(() -> {
			try {
				complete(ServerLimitsReader.read(probe));
				executor.shutdown();
			}
			catch (RuntimeException ex) {
				logger.error("db-budget: completing the plan failed, pools stay at db.budget.min-pool-size", ex);
				executor.shutdown();
			}
			catch (SQLException ex) {
				Duration next = delay.multipliedBy(2);
				scheduleCompletion(executor, probe, (next.compareTo(LONGEST_RETRY_DELAY) > 0) ? LONGEST_RETRY_DELAY : next);
			}
		}, delay.toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * Completes a plan that started without the server's limits, and resizes every pool to it.
	 * @param limits the server's limits
	 */
	synchronized void complete(ServerLimits limits) {
		try {
			this.budget = Budget.calculate(this.settings, limits, this.poolNames);
		}
		catch (InvalidBudgetException ex) {
			logger.error("db-budget: the server answered but the budget cannot be met, pools stay at "
					+ "db.budget.min-pool-size: " + ex.getProperty() + " = " + ex.getValue() + ": " + ex.getReason()
					+ ". " + ex.getAction());
			return;
		}
		resizeAll(true);
		logger.info("db-budget: the server answered, plan completed and pools resized\n" + describe());
	}

	/**
	 * Called at every heartbeat of fleet coordination with the number of members seen.
	 * @param members how many instances hold a slot of the group
	 * @param mayGrow whether every other member has had a heartbeat since this one joined, so
	 * that growing keeps the fleet within its budget
	 */
	synchronized void membersSeen(int members, boolean mayGrow) {
		if (this.budget == null || members < 1) {
			return;
		}
		boolean changed = members != this.budget.instances();
		if (!changed && !(mayGrow && (this.joiningFleet || this.growthPending))) {
			return;
		}
		Budget next;
		try {
			next = Budget.calculate(this.settings.withInstances(members), this.budget.server(), this.poolNames);
		}
		catch (InvalidBudgetException ex) {
			logger.error("db-budget: the fleet counts " + members + " members and the budget cannot be met, pools "
					+ "keep their size: " + ex.getReason() + ". " + ex.getAction());
			return;
		}
		this.budget = next;
		if (mayGrow) {
			this.joiningFleet = false;
		}
		this.growthPending = resizeAll(mayGrow);
		this.fleet.recordChange(members, next.perInstance());
		logger.info("db-budget: fleet '" + this.fleetSettings.group() + "' counts " + members + " members, "
				+ next.perInstance() + " connections per instance; pools " + this.pools.values()
					.stream()
					.map((pool) -> pool.name() + " " + pool.dataSource().getMaximumPoolSize())
					.toList());
	}

	synchronized void coordinationLost() {
		this.joiningFleet = true;
		resizeAll(false);
	}

	/**
	 * Resizes every pool to the current plan.
	 * @param mayGrow whether pools may grow, or only shrink
	 * @return whether a pool was kept below its plan
	 */
	private boolean resizeAll(boolean mayGrow) {
		boolean heldBack = false;
		for (BudgetedPool pool : List.copyOf(this.pools.values())) {
			PoolPlan requested = pool.plan();
			PoolPlan plan = size(pool.name(), requested.requestedMaximum(), requested.requestedMinimumIdle(),
					poolBudget(pool.name()));
			if (plan.fit() == PoolPlan.Fit.OVER_BUDGET && this.settings.mode() == BudgetMode.FAIL) {
				// Start-up is over, so fail mode cannot refuse it any more: enforce the budget
				logger.error("db-budget: pool '" + pool.name() + "' asks for " + plan.requestedMaximum()
						+ " connections, over its budget of " + plan.budget() + " (db.budget.mode=fail); lowering it");
				plan = PoolPlan.of(pool.name(), plan.requestedMaximum(), plan.requestedMinimumIdle(), plan.budget(),
						BudgetMode.ENFORCE);
			}
			if (!mayGrow && plan.maximumPoolSize() > pool.dataSource().getMaximumPoolSize()) {
				heldBack = true;
				continue;
			}
			PoolResizer.apply(pool.dataSource(), plan);
			this.pools.put(pool.name(), new BudgetedPool(pool.name(), pool.dataSource(), plan));
		}
		return heldBack;
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
		return PlanDescription.of(this.settings, this.budget, this.budgetOffReason, this.fleetSettings,
				this.joiningFleet, getPools());
	}

	@Override
	public void close() {
		ScheduledExecutorService planCompleter;
		FleetCoordinator fleet;
		// Outside this object's lock: a heartbeat holds the coordinator's lock and waits for ours
		synchronized (this) {
			planCompleter = this.planCompleter;
			fleet = this.fleet;
		}
		if (planCompleter != null) {
			planCompleter.shutdownNow();
		}
		if (fleet != null) {
			fleet.close();
		}
	}

	private final class FleetListener implements FleetCoordinator.Listener {

		@Override
		public void membersSeen(int members, boolean mayGrow) {
			BudgetedPools.this.membersSeen(members, mayGrow);
		}

		@Override
		public void coordinationLost() {
			BudgetedPools.this.coordinationLost();
		}

	}

	/**
	 * A pool under the budget.
	 *
	 * @param name its bean name
	 * @param dataSource the pool
	 * @param plan how it is sized
	 */
	public record BudgetedPool(String name, HikariDataSource dataSource, PoolPlan plan) {

	}

}
