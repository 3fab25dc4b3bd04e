package io.dbbudget.pool;

import java.time.Duration;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.advisor.Advice;
import io.dbbudget.advisor.Advisor;
import io.dbbudget.advisor.IdleTransaction;
import io.dbbudget.advisor.PoolSettings;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.ServerActivityMonitor;
import org.jspecify.annotations.Nullable;

/**
 * The advisor's view of this instance: the server's settings read with its limits, the
 * settings of the pools under the budget and, once the server's activity is sampled, the
 * fleet's own sessions idle in a transaction. Takes no connection of its own.
 *
 * @author db-budget team
 */
public class PoolAdvisor {

	// Spring Boot binds the auto-configured pool, bean 'dataSource', there
	private static final String PRIMARY_POOL = "dataSource";

	private static final String PRIMARY_POOL_PREFIX = "spring.datasource.hikari";

	private final BudgetedPools budgetedPools;

	private final Advisor advisor;

	private final @Nullable ServerActivityMonitor monitor;

	/**
	 * Create a new instance.
	 * @param budgetedPools the pools under the budget and the server's settings
	 * @param advisor the checks
	 * @param monitor the server's activity, or {@code null} if it is not sampled
	 */
	public PoolAdvisor(BudgetedPools budgetedPools, Advisor advisor, @Nullable ServerActivityMonitor monitor) {
		this.budgetedPools = budgetedPools;
		this.advisor = advisor;
		this.monitor = monitor;
	}

	/**
	 * The advice on the server's and the pools' settings, before the server's activity is
	 * sampled: what the start-up block shows.
	 * @return the advice, empty when all is well
	 */
	public List<Advice> startupAdvice() {
		return advise(List.of());
	}

	/**
	 * The advice on the settings and on the latest sample of the server's activity. Never
	 * waits for the server.
	 * @return the advice, empty when all is well
	 */
	public List<Advice> advice() {
		ServerActivity activity = (this.monitor != null) ? this.monitor.getSample().current() : null;
		return advise((activity != null) ? activity.idleInTransaction() : List.of());
	}

	private List<Advice> advise(List<IdleTransaction> idleTransactions) {
		List<PoolSettings> pools = this.budgetedPools.getPools().stream().map(PoolAdvisor::settings).toList();
		return this.advisor.advise(this.budgetedPools.getServerSettings(), pools, idleTransactions);
	}

	private static PoolSettings settings(BudgetedPool pool) {
		HikariDataSource dataSource = pool.dataSource();
		return PoolSettings.ofHikari(pool.name(), PRIMARY_POOL.equals(pool.name()) ? PRIMARY_POOL_PREFIX : null,
				dataSource.getMaximumPoolSize(), dataSource.getMinimumIdle(),
				Duration.ofMillis(dataSource.getIdleTimeout()), Duration.ofMillis(dataSource.getMaxLifetime()),
				Duration.ofMillis(dataSource.getKeepaliveTime()),
				Duration.ofMillis(dataSource.getLeakDetectionThreshold()));
	}

}
