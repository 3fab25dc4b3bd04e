package io.dbbudget.pool;

import java.util.List;
import java.util.Locale;

import io.dbbudget.budget.Budget;
import io.dbbudget.budget.BudgetMode;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.fleet.FleetSettings;
import io.dbbudget.pool.BudgetedPools.BudgetedPool;
import org.jspecify.annotations.Nullable;

/**
 * The plan as the readable block logged at start-up.
 *
 * @author db-budget team
 */
final class PlanDescription {

	private static final String INDENT = "  ";

	private PlanDescription() {
	}

	static String of(BudgetSettings settings, @Nullable Budget budget, @Nullable FleetSettings fleet,
			boolean joiningFleet, List<BudgetedPool> pools) {
		StringBuilder text = header(settings.mode());
		appendServer(text, INDENT, settings, budget, fleet, joiningFleet, pools);
		return text.toString();
	}

	static String off(BudgetMode mode, String reason) {
		return header(mode).append(": budget off, ").append(reason).toString();
	}

	static String ofServers(BudgetMode mode, List<String> sections) {
		StringBuilder text = header(mode).append(": ").append(sections.size()).append(" servers, each its own budget");
		sections.forEach((section) -> text.append('\n').append(section));
		return text.toString();
	}

	static String section(ServerAddress address, BudgetSettings settings, @Nullable Budget budget,
			@Nullable FleetSettings fleet, boolean joiningFleet, List<BudgetedPool> pools) {
		StringBuilder text = new StringBuilder(INDENT).append("server ").append(address);
		appendServer(text, INDENT + INDENT, settings, budget, fleet, joiningFleet, pools);
		return text.toString();
	}

	static String offSection(ServerAddress address, String reason) {
		return INDENT + "server " + address + ": budget off, " + reason;
	}

	private static StringBuilder header(BudgetMode mode) {
		return new StringBuilder("db-budget plan (mode ").append(mode.name().toLowerCase(Locale.ROOT)).append(")");
	}

	private static void appendServer(StringBuilder text, String indent, BudgetSettings settings,
			@Nullable Budget budget, @Nullable FleetSettings fleet, boolean joiningFleet, List<BudgetedPool> pools) {
		if (budget == null) {
			text.append(": waiting for the server's limits, pools held at min-pool-size ")
				.append(settings.minPoolSize());
		}
		else {
			for (String step : budget.arithmetic()) {
				text.append('\n').append(indent).append(step);
			}
		}
		if (fleet != null) {
			text.append('\n').append(indent).append("fleet coordination on: group '").append(fleet.group())
				.append("', heartbeat ").append(fleet.heartbeat().toMillis()).append(" ms")
				.append(joiningFleet ? ", pools held at min-pool-size until the fleet has counted this instance" : "");
		}
		for (BudgetedPool pool : pools) {
			text.append('\n').append(indent).append(describe(pool.plan()));
			if (pool.startedEarly()) {
				text.append('\n').append(indent).append(INDENT).append("pool '").append(pool.name())
					.append("' had started before db-budget saw it: resized at run time, its sessions not renamed");
			}
		}
	}

	private static String describe(PoolPlan plan) {
		String verdict = switch (plan.fit()) {
			case WITHIN_BUDGET -> "within budget";
			case LOWERED -> "lowered to budget";
			case OVER_BUDGET -> "OVER BUDGET";
		};
		return "pool '" + plan.name() + "': requested " + plan.requestedMaximum() + " -> " + plan.maximumPoolSize()
				+ " (budget " + plan.budget() + ", " + verdict + "), minimum idle " + plan.minimumIdle();
	}

}
