package io.dbbudget.metrics;

import java.util.Objects;
import java.util.function.Function;

import io.dbbudget.fleet.FleetCoordinator.FleetState;
import io.dbbudget.fleet.FleetCoordinator.Member;
import io.dbbudget.pool.BudgetedPools;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

/**
 * {@link MeterBinder} for this instance's fleet when fleet coordination is on: the members
 * seen at the last heartbeat, {@code db.budget.fleet.members}, and this member's published
 * demand and allocation, {@code db.budget.fleet.demand} and {@code db.budget.fleet.allocation}.
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
		Gauge.builder("db.budget.fleet.demand", this.budgetedPools, (pools) -> self(pools, Member::demand))
			.description("This member's published demand: peak connections in use plus waiting callers")
			.register(registry);
		Gauge.builder("db.budget.fleet.allocation", this.budgetedPools, (pools) -> self(pools, Member::allocation))
			.description("The connections this member's pools may hold in the fleet")
			.register(registry);
	}

	private static double members(BudgetedPools pools) {
		FleetState fleet = pools.getFleet();
		return (fleet != null && fleet.lastHeartbeat() != null) ? fleet.members().size() : Double.NaN;
	}

	private static double self(BudgetedPools pools, Function<Member, @Nullable Integer> value) {
		FleetState fleet = pools.getFleet();
		if (fleet == null) {
			return Double.NaN;
		}
		return fleet.members()
			.stream()
			.filter(Member::self)
			.map(value)
			.filter(Objects::nonNull)
			.mapToDouble(Integer::doubleValue)
			.findFirst()
			.orElse(Double.NaN);
	}

}
