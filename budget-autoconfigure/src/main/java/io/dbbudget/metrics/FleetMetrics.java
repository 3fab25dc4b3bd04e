package io.dbbudget.metrics;

import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.FleetCoordinator.FleetState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@link MeterBinder} for the members of this instance's fleet seen at the last heartbeat,
 * {@code db.budget.fleet.members}, when fleet coordination is on.
 *
 * @author db-budget team
 */
public class FleetMetrics implements MeterBinder {

	private final BudgetedPools budgetedPools;

	/**
	 * Create a new instance.
	 * @param budgetedPools the pools under the budget, which coordinate with the fleet
	 */
	public FleetMetrics(BudgetedPools budgetedPools) {
		this.budgetedPools = budgetedPools;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		if (this.budgetedPools.getFleet() == null) {
			return;
		}
		Gauge.builder("db.budget.fleet.members", this.budgetedPools, FleetMetrics::members)
			.description("Members of the fleet seen at the last heartbeat")
			.register(registry);
	}

	private static double members(BudgetedPools pools) {
		FleetState fleet = pools.getFleet();
		return (fleet != null && fleet.lastHeartbeat() != null) ? fleet.members().size() : Double.NaN;
	}

}
