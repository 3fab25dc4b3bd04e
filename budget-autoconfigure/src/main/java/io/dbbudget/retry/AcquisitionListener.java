package io.dbbudget.retry;

/**
 * Told about retried and failed connection acquisitions, for example to count them.
 *
 * @author db-budget team
 */
public interface AcquisitionListener {

	/**
	 * A listener that does nothing.
	 */
	AcquisitionListener NONE = new AcquisitionListener() {
	};

	/**
	 * An acquisition failed transiently and is about to be retried.
	 * @param pool the pool's bean name
	 * @param reason the SQLSTATE, or {@link TransientFailures#POOL_TIMEOUT}
	 */
	default void onRetry(String pool, String reason) {
	}

	/**
	 * An acquisition failed for good and the failure goes to the caller.
	 * @param pool the pool's bean name
	 * @param reason the SQLSTATE, {@link TransientFailures#POOL_TIMEOUT} or {@code other}
	 */
	default void onFailure(String pool, String reason) {
	}

}
