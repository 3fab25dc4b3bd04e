package io.dbbudget.budget;

/**
 * What happens when a pool asks for more connections than its budget.
 *
 * @author db-budget team
 */
public enum BudgetMode {

	/**
	 * Lower the pool to its budget and log a warning.
	 */
	ENFORCE,

	/**
	 * Keep the pool's own size and log a warning.
	 */
	WARN,

	/**
	 * Refuse to start.
	 */
	FAIL

}
