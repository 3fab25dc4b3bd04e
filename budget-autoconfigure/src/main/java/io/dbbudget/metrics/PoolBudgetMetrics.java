package io.dbbudget.metrics;

import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@link MeterBinder} for each pool's budget, {@code db.budget.pool.budget}, tagged with the
 * pool's bean name. The pools' sizes and connections are Hikari's own
 * {@code hikaricp.connections.*} metrics.
 *
 * @author db-budget team
 */
public class PoolBudgetMetrics implements MeterBinder {

	private final BudgetedPools budgetedPools;

	/**
	 * Create a new instance.
	 * @param budgetedPools the pools under the budget
	 */
	public PoolBudgetMetrics(BudgetedPools budgetedPools) {
		this.budgetedPools = budgetedPools;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (BudgetedPool pool : this.budgetedPools.getPools()) {
			String name = pool.name();
			// Looked up on each read: the budget changes when a plan that started without the
			// server's limits is completed
			Gauge.builder("db.budget.pool.budget", this.budgetedPools, (pools) -> budget(pools, name))
				.tag("pool", name)
				.description("Connections the pool may open under the budget")
				.register(registry);
		}
	}

	private static double budget(BudgetedPools pools, String name) {
		BudgetedPool pool = pools.getPool(name);
		return (pool != null) ? pool.plan().budget() : Double.NaN;
	}

}
