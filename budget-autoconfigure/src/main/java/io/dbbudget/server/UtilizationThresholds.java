package io.dbbudget.server;

import io.dbbudget.budget.InvalidBudgetException;
import org.jspecify.annotations.Nullable;

/**
 * The server utilizations at which the level becomes {@link UtilizationLevel#WARNING WARNING}
 * and {@link UtilizationLevel#CRITICAL CRITICAL}.
 *
 * @param warn the utilization, in (0, 1], at which the level becomes WARNING
 * @param critical the utilization, in (0, 1] and not below {@code warn}, at which the level
 * becomes CRITICAL
 * @author db-budget team
 */
public record UtilizationThresholds(double warn, double critical) {

	private static final String PREFIX = "db.budget.health.";

	public UtilizationThresholds {
		checkFraction("warn-utilization", warn);
		checkFraction("critical-utilization", critical);
		if (warn > critical) {
			throw new InvalidBudgetException(PREFIX + "warn-utilization", String.valueOf(warn),
					"it is above " + PREFIX + "critical-utilization (" + critical
							+ "), so the level would turn CRITICAL before WARNING",
					"Set " + PREFIX + "warn-utilization to " + critical + " or less, for example 0.70 with "
							+ PREFIX + "critical-utilization 0.85.");
		}
	}

	private static void checkFraction(String property, double value) {
		if (!(value > 0 && value <= 1)) {
			throw new InvalidBudgetException(PREFIX + property, String.valueOf(value),
					"a utilization is a fraction of the server's max_connections, above 0 and at most 1",
					"Set " + PREFIX + property + " to a value above 0 and at most 1, for example 0.85 for 85%.");
		}
	}

	/**
	 * The level of the server's activity.
	 * @param activity the activity, or {@code null} if it is not known
	 * @return the level
	 */
	public UtilizationLevel level(@Nullable ServerActivity activity) {
		if (activity == null) {
			return UtilizationLevel.UNKNOWN;
		}
		double utilization = activity.utilization();
		if (utilization >= this.critical) {
			return UtilizationLevel.CRITICAL;
		}
		return (utilization >= this.warn) ? UtilizationLevel.WARNING : UtilizationLevel.OK;
	}

}
