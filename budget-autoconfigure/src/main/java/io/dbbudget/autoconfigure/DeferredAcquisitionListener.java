package io.dbbudget.autoconfigure;

import io.dbbudget.retry.AcquisitionListener;

import org.springframework.beans.factory.ObjectProvider;

/**
 * Passes acquisition events to the {@link AcquisitionListener} beans, looked up when an event
 * happens: DataSources are created before the beans that count their failures.
 *
 * @author db-budget team
 */
final class DeferredAcquisitionListener implements AcquisitionListener {

	private final ObjectProvider<AcquisitionListener> listeners;

	DeferredAcquisitionListener(ObjectProvider<AcquisitionListener> listeners) {
		this.listeners = listeners;
	}

	@Override
	public void onRetry(String pool, String reason) {
		this.listeners.orderedStream().forEach((listener) -> listener.onRetry(pool, reason));
	}

	@Override
	public void onFailure(String pool, String reason) {
		this.listeners.orderedStream().forEach((listener) -> listener.onFailure(pool, reason));
	}

}
