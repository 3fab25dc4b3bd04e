package io.dbbudget.autoconfigure;

import io.dbbudget.budget.InvalidBudgetException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains an {@link InvalidBudgetException}: the property, its value, the numbers behind the
 * verdict and the fix.
 *
 * @author db-budget team
 */
class InvalidBudgetFailureAnalyzer extends AbstractFailureAnalyzer<InvalidBudgetException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidBudgetException cause) {
		String description = String.format("The db-budget connection budget cannot be met:%n%n    Property: %s%n"
				+ "    Value:    \"%s\"%n    Reason:   %s", cause.getProperty(), cause.getValue(), cause.getReason());
		return new FailureAnalysis(description, cause.getAction(), cause);
	}

}
