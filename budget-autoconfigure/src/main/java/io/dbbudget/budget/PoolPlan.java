package io.dbbudget.budget;

/**
 * How one pool is sized: what its own configuration asked for, its budget and what is
 * applied.
 *
 * @param name the pool's bean name
 * @param requestedMaximum the maximum pool size its configuration asks for
 * @param requestedMinimumIdle the minimum idle its configuration asks for, or {@code -1} for
 * the pool's maximum
 * @param budget the connections the budget gives it
 * @param maximumPoolSize the maximum pool size applied
 * @param minimumIdle the minimum idle applied, never above {@code maximumPoolSize}
 * @param fit how the request compares with the budget
 * @author db-budget team
 */
public record PoolPlan(String name, int requestedMaximum, int requestedMinimumIdle, int budget, int maximumPoolSize,
		int minimumIdle, Fit fit) {

	/**
	 * Sizes a pool: the budget is a ceiling, so a pool that asks for less keeps its size.
	 * @param name the pool's bean name
	 * @param requestedMaximum the maximum pool size its configuration asks for
	 * @param requestedMinimumIdle the minimum idle its configuration asks for, or a negative
	 * number for the pool's maximum
	 * @param budget the connections the budget gives it
	 * @param mode what to do when it asks for more than its budget
	 * @return the plan
	 */
	public static PoolPlan of(String name, int requestedMaximum, int requestedMinimumIdle, int budget,
			BudgetMode mode) {
		Fit fit = (requestedMaximum <= budget) ? Fit.WITHIN_BUDGET
				: (mode == BudgetMode.ENFORCE) ? Fit.LOWERED : Fit.OVER_BUDGET;
		int maximum = (fit == Fit.LOWERED) ? budget : requestedMaximum;
		int minimumIdle = (requestedMinimumIdle < 0) ? maximum : Math.min(requestedMinimumIdle, maximum);
		return new PoolPlan(name, requestedMaximum, Math.max(requestedMinimumIdle, -1), budget, maximum, minimumIdle,
				fit);
	}

	/**
	 * The same plan keeping at most the given number of idle connections.
	 * @param idleLimit the most idle connections to keep, or a negative number for no limit
	 * @return the plan
	 */
	public PoolPlan limitIdle(int idleLimit) {
		if (idleLimit < 0 || idleLimit >= this.minimumIdle) {
			return this;
		}
		return new PoolPlan(this.name, this.requestedMaximum, this.requestedMinimumIdle, this.budget,
				this.maximumPoolSize, idleLimit, this.fit);
	}

	/**
	 * How a pool's request compares with its budget.
	 */
	public enum Fit {

		/**
		 * It asks for no more than its budget and keeps its size.
		 */
		WITHIN_BUDGET,

		/**
		 * It asked for more and was lowered to its budget.
		 */
		LOWERED,

		/**
		 * It asks for more and keeps its size, in {@code warn} mode, or refuses to start, in
		 * {@code fail} mode.
		 */
		OVER_BUDGET

	}

}
