package io.dbbudget.retry;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An {@link AcquisitionListener} that keeps the reasons it was told, for tests to read.
 *
 * @author db-budget team
 */
public class RecordingListener implements AcquisitionListener {

	public final List<String> retries = new CopyOnWriteArrayList<>();

	public final List<String> failures = new CopyOnWriteArrayList<>();

	@Override
	public void onRetry(String pool, String reason) {
		this.retries.add(reason);
	}

	@Override
	public void onFailure(String pool, String reason) {
		this.failures.add(reason);
	}

}
