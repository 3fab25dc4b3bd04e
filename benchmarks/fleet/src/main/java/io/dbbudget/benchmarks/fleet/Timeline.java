package io.dbbudget.benchmarks.fleet;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Transactions and errors per second of the window, so that the report can add up any part of
 * it (a phase, the settled end of a phase).
 *
 * @author db-budget team
 */
final class Timeline {

	private final AtomicLongArray ok;

	private final AtomicLongArray errors;

	Timeline(Duration window) {
		int seconds = (int) Math.max(1, (window.toMillis() + 999) / 1000);
		this.ok = new AtomicLongArray(seconds);
		this.errors = new AtomicLongArray(seconds);
	}

	/** A transaction that committed, or failed, {@code elapsedNanos} into the window. */
	void record(long elapsedNanos, boolean committed) {
		if (elapsedNanos < 0) {
			return;
		}
		int second = (int) TimeUnit.NANOSECONDS.toSeconds(elapsedNanos);
		if (second < this.ok.length()) {
			(committed ? this.ok : this.errors).incrementAndGet(second);
		}
	}

	Map<String, Object> toMap() {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("okPerSecond", toArray(this.ok));
		map.put("errorsPerSecond", toArray(this.errors));
		return map;
	}

	private static long[] toArray(AtomicLongArray counts) {
		long[] array = new long[counts.length()];
		for (int i = 0; i < array.length; i++) {
			array[i] = counts.get(i);
		}
		return array;
	}

}
