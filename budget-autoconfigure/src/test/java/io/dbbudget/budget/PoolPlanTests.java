package io.dbbudget.budget;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PoolPlan}: the budget is a ceiling, not a target.
 */
class PoolPlanTests {

	@Test
	void poolAskingForLessKeepsItsSize() {
		PoolPlan plan = PoolPlan.of("dataSource", 5, -1, 8, BudgetMode.ENFORCE);
		assertThat(plan.maximumPoolSize()).isEqualTo(5);
		assertThat(plan.minimumIdle()).isEqualTo(5);
		assertThat(plan.fit()).isEqualTo(PoolPlan.Fit.WITHIN_BUDGET);
	}

	@Test
	void enforceLowersAPoolAskingForMore() {
		PoolPlan plan = PoolPlan.of("dataSource", 20, -1, 8, BudgetMode.ENFORCE);
		assertThat(plan.maximumPoolSize()).isEqualTo(8);
		assertThat(plan.fit()).isEqualTo(PoolPlan.Fit.LOWERED);
	}

	@Test
	void warnAndFailKeepTheRequestedSizeAndReportIt() {
		assertThat(PoolPlan.of("dataSource", 20, -1, 8, BudgetMode.WARN))
			.extracting(PoolPlan::maximumPoolSize, PoolPlan::fit)
			.containsExactly(20, PoolPlan.Fit.OVER_BUDGET);
		assertThat(PoolPlan.of("dataSource", 20, -1, 8, BudgetMode.FAIL).fit()).isEqualTo(PoolPlan.Fit.OVER_BUDGET);
	}

	@Test
	void minimumIdleNeverExceedsTheMaximum() {
		assertThat(PoolPlan.of("dataSource", 20, 12, 8, BudgetMode.ENFORCE).minimumIdle()).isEqualTo(8);
		assertThat(PoolPlan.of("dataSource", 20, 2, 8, BudgetMode.ENFORCE).minimumIdle()).isEqualTo(2);
		assertThat(PoolPlan.of("dataSource", 20, -1, 8, BudgetMode.ENFORCE).minimumIdle()).isEqualTo(8);
	}

}
