package io.dbbudget.retry;

import java.time.Duration;
import java.util.function.Predicate;

import io.dbbudget.budget.InvalidBudgetException;

import org.springframework.core.retry.RetryPolicy;

/**
 * How connection acquisition is retried, checked for values that cannot work.
 *
 * @param maxAttempts attempts in all, the first included
 * @param initialInterval back-off before the first retry
 * @param multiplier growth of the back-off from one retry to the next
 * @param maxInterval largest single back-off
 * @param jitter whether to randomise back-offs
 * @author db-budget team
 */
public record RetrySettings(int maxAttempts, Duration initialInterval, double multiplier, Duration maxInterval,
		boolean jitter) {

	public RetrySettings {
		if (maxAttempts < 1) {
			throw invalid("max-attempts", maxAttempts, "attempts count the first one, so at least 1",
					"Set db.budget.retry.max-attempts to 1 or more, or db.budget.retry.enabled=false to never retry.");
		}
		if (initialInterval.isNegative() || initialInterval.isZero()) {
			throw invalid("initial-interval", format(initialInterval), "the first back-off must be positive",
					"Set db.budget.retry.initial-interval to a positive duration, for example 500ms.");
		}
		if (!(multiplier >= 1)) {
			throw invalid("multiplier", multiplier, "a multiplier below 1 would shrink the back-off",
					"Set db.budget.retry.multiplier to 1 (fixed back-off) or more.");
		}
		if (maxInterval.compareTo(initialInterval) < 0) {
			throw invalid("max-interval", format(maxInterval),
					"it is below db.budget.retry.initial-interval (" + format(initialInterval) + ")",
					"Set db.budget.retry.max-interval to " + format(initialInterval) + " or more.");
		}
	}

	/**
	 * The back-off of Spring Framework's retry support, for retries after a first attempt
	 * that already failed.
	 * @param isTransient which failures to retry
	 * @return the policy
	 */
	public RetryPolicy retryPolicy(Predicate<Throwable> isTransient) {
		RetryPolicy.Builder builder = RetryPolicy.builder()
			.predicate(isTransient)
			.maxRetries(this.maxAttempts - 1)
			.delay(this.initialInterval)
			.multiplier(this.multiplier)
			.maxDelay(this.maxInterval);
		if (this.jitter) {
			builder.jitter(jitterOf(this.initialInterval));
		}
		return builder.build();
	}

	/**
	 * The longest a caller can wait for a connection, retries included: every attempt waiting
	 * its full connection timeout, and every back-off at its longest.
	 * @param connectionTimeout how long one attempt may wait for the pool
	 * @return the bound
	 */
	public Duration longestWait(Duration connectionTimeout) {
		Duration total = connectionTimeout.multipliedBy(this.maxAttempts);
		double delay = this.initialInterval.toMillis();
		double jitterMillis = this.jitter ? jitterOf(this.initialInterval).toMillis() : 0;
		for (int retry = 1; retry < this.maxAttempts; retry++) {
			total = total.plusMillis((long) Math.min(this.maxInterval.toMillis(), delay + jitterMillis));
			delay *= this.multiplier;
			jitterMillis *= this.multiplier;
		}
		return total;
	}

	/**
	 * The settings in words, for the start-up plan.
	 * @return the description
	 */
	public String describe() {
		return "up to " + this.maxAttempts + " attempts, back-off " + format(this.initialInterval) + " x "
				+ this.multiplier + " up to " + format(this.maxInterval) + (this.jitter ? " with jitter" : "");
	}

	private static String format(Duration duration) {
		long millis = duration.toMillis();
		return (millis % 1000 == 0) ? (millis / 1000) + "s" : millis + "ms";
	}

	private static Duration jitterOf(Duration interval) {
		return interval.dividedBy(2);
	}

	private static InvalidBudgetException invalid(String property, Object value, String reason, String action) {
		return new InvalidBudgetException("db.budget.retry." + property, String.valueOf(value), reason, action);
	}

}
