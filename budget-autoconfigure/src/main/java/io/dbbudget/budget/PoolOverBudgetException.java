package io.dbbudget.budget;

/**
 * Thrown in {@link BudgetMode#FAIL fail} mode when a pool asks for more connections than its
 * budget.
 *
 * @author db-budget team
 */
public class PoolOverBudgetException extends RuntimeException {

	private final PoolPlan pool;

	private final Budget budget;

	public PoolOverBudgetException(PoolPlan pool, Budget budget) {
		super("Pool '" + pool.name() + "' asks for " + pool.requestedMaximum() + " connections but its budget is "
				+ pool.budget());
		this.pool = pool;
		this.budget = budget;
	}

	/**
	 * The pool that asks for too much.
	 * @return its plan
	 */
	public PoolPlan getPool() {
		return this.pool;
	}

	/**
	 * The budget it does not fit.
	 * @return the budget
	 */
	public Budget getBudget() {
		return this.budget;
	}

}
