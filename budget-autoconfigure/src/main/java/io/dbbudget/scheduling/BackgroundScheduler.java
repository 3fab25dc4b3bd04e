package io.dbbudget.scheduling;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The single background thread each of db-budget's periodic tasks runs on: a daemon, so that
 * it never keeps the JVM alive, named so that thread dumps say what it is.
 *
 * @author db-budget team
 */
public final class BackgroundScheduler {

	private static final Log logger = LogFactory.getLog(BackgroundScheduler.class);

	private BackgroundScheduler() {
	}

	/**
	 * A periodic task that survives its own failures: a scheduled task that throws is never
	 * run again, and a pool whose resizing stops silently stays at its last size.
	 * @param what what the task does, for the log
	 * @param task the task
	 * @return the guarded task
	 */
	public static Runnable guarded(String what, Runnable task) {
		return () -> {
			try {
				task.run();
			}
			catch (Throwable ex) {
				logger.error("db-budget: " + what + " failed, and runs again at its next turn", ex);
			}
		};
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
