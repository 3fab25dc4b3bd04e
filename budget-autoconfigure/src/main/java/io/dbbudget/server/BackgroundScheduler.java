package io.dbbudget.server;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The single background thread each of db-budget's periodic tasks runs on: a daemon, so that
 * it never keeps the JVM alive, named so that thread dumps say what it is.
 *
 * @author db-budget team
 */
public final class BackgroundScheduler {

	private BackgroundScheduler() {
	}

	/**
	 * A scheduler with one daemon thread.
	 * @param threadName the thread's name
	 * @return the scheduler; the caller shuts it down
	 */
	public static ScheduledExecutorService create(String threadName) {
		return Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
	}

}
