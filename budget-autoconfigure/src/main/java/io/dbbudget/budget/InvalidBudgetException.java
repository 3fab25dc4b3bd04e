package io.dbbudget.budget;

/**
 * Thrown when the budget settings cannot be met: names the property at fault, its value, why it
 * is refused and what would fix it.
 *
 * @author db-budget team
 */
public class InvalidBudgetException extends RuntimeException {

	private final String property;

	private final Object value;

	private final String reason;

	private final String action;

	public InvalidBudgetException(String property, Object value, String reason, String action) {
		super(property + " = " + value + ": " + reason);
		this.property = property;
		this.value = value;
		this.reason = reason;
		this.action = action;
	}

	/**
	 * The configuration property at fault, for example {@code db.budget.share}.
	 * @return the property name
	 */
	public String getProperty() {
		return this.property;
	}

	/**
	 * The value that was refused.
	 * @return the value
	 */
	public Object getValue() {
		return this.value;
	}

	/**
	 * Why the value is refused, with the numbers behind the verdict.
	 * @return the reason
	 */
	public String getReason() {
		return this.reason;
	}

	/**
	 * The change that would fix it.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
