package io.dbbudget.autoconfigure;

import io.dbbudget.budget.PoolOverBudgetException;
import io.dbbudget.budget.PoolPlan;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@link PoolOverBudgetException}: which pool asks for how much, and the arithmetic
 * behind its budget.
 *
 * @author db-budget team
 */
class PoolOverBudgetFailureAnalyzer extends AbstractFailureAnalyzer<PoolOverBudgetException> {

	private static final String LINE = System.lineSeparator();

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, PoolOverBudgetException cause) {
		PoolPlan pool = cause.getPool();
		StringBuilder description = new StringBuilder()
			.append("Pool '").append(pool.name()).append("' asks for ").append(pool.requestedMaximum())
			.append(" connections, over its db-budget budget of ").append(pool.budget())
			.append(", and db.budget.mode is 'fail'. The budget:").append(LINE);
		cause.getBudget().arithmetic().forEach((step) -> description.append(LINE).append("    ").append(step));
		String action = "Lower the pool's maximum-pool-size (spring.datasource.hikari.maximum-pool-size for "
				+ "Boot's own DataSource) to " + pool.budget() + " or less, set db.budget.mode=enforce to lower it "
				+ "automatically, or raise the budget (db.budget.share, db.budget.service-connections, "
				+ "fewer db.budget.instances).";
		return new FailureAnalysis(description.toString(), action, cause);
	}

}
