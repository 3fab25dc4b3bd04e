package io.dbbudget.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.dbbudget.advisor.Advice;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.dbbudget.pool.PoolActivity;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.ServerActivityMonitor;
import io.dbbudget.server.ServerSample;
import io.dbbudget.server.UtilizationThresholds;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@link HealthIndicator} for probes that restart pods: {@code DOWN} only when the server
 * cannot be reached. A busy or exhausted pool is load, not a fault, so it stays {@code UP}
 * and its {@code level} says how full the server is. It reads the pools' counters and the
 * latest server sample, and never takes a connection, so it answers at once even when every
 * connection is in use. Advice on the server's or the pools' settings shows in the details,
 * and never makes the status {@code DOWN}.
 *
 * @author db-budget team
 */
public class DbBudgetHealthIndicator extends AbstractHealthIndicator {

	private final BudgetedPools budgetedPools;

	private final ServerActivityMonitor monitor;

	private final UtilizationThresholds thresholds;

	private final @Nullable PoolAdvisor advisor;

	/**
	 * Create a new instance.
	 * @param budgetedPools the pools under the budget
	 * @param monitor the server's activity
	 * @param thresholds the utilizations that set the level
	 * @param advisor the server advisor, or {@code null} if it is off
	 */
	public DbBudgetHealthIndicator(BudgetedPools budgetedPools, ServerActivityMonitor monitor,
			UtilizationThresholds thresholds, @Nullable PoolAdvisor advisor) {
		super("db-budget health check failed");
		this.budgetedPools = budgetedPools;
		this.monitor = monitor;
		this.thresholds = thresholds;
		this.advisor = advisor;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		List<BudgetedPool> pools = this.budgetedPools.getPools();
		if (pools.isEmpty()) {
			builder.unknown().withDetail("reason", "no pool is under the budget");
			return;
		}
		ServerSample sample = this.monitor.getSample();
		ServerActivity activity = sample.current();
		if (sample.failed()) {
			builder.down().withDetail("error", sample.failure()).withDetail("failedAt", sample.failedAt());
		}
		else {
			builder.up();
		}
		builder.withDetail("level", this.thresholds.level(activity));
		if (activity != null) {
			builder.withDetail("utilization", activity.utilization())
				.withDetail("connections", activity.connections())
				.withDetail("maxConnections", activity.maxConnections())
				.withDetail("sampledAt", activity.sampledAt());
		}
		builder.withDetail("pools", describe(pools));
		List<Advice> advice = (this.advisor != null) ? this.advisor.advice() : List.of();
		if (!advice.isEmpty()) {
			// The settings only: the endpoint tells the risk and the fix
			builder.withDetail("advice", advice.stream().map(Advice::setting).distinct().toList());
		}
	}

	private static Map<String, Map<String, Integer>> describe(List<BudgetedPool> pools) {
		Map<String, Map<String, Integer>> described = new LinkedHashMap<>();
		for (BudgetedPool pool : pools) {
			PoolActivity activity = PoolActivity.of(pool.dataSource());
			Map<String, Integer> details = new LinkedHashMap<>();
			details.put("active", activity.active());
			details.put("idle", activity.idle());
			details.put("pending", activity.pending());
			details.put("budget", pool.plan().budget());
			described.put(pool.name(), details);
		}
		return described;
	}

}
