package io.dbbudget.metrics;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.ServerActivityMonitor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@link MeterBinder} for the server's connections: {@code db.budget.server.max.connections},
 * {@code db.budget.server.utilization}, {@code db.budget.server.connections} by {@code state}
 * and {@code db.budget.server.application.connections} by {@code application.name}. They read
 * the latest sample of {@link ServerActivityMonitor}, so a scrape never queries the server, and
 * read {@code NaN} while the server's activity is not known.
 *
 * @author db-budget team
 */
public class ServerActivityMetrics implements MeterBinder {

	// Always present, so that dashboards show zeros rather than gaps
	private static final List<String> STATES = List.of("active", "idle", "idle in transaction",
			"idle in transaction (aborted)", "fastpath function call", "disabled", ServerActivity.UNKNOWN_STATE);

	private final ServerActivityMonitor monitor;

	/**
	 * Create a new instance.
	 * @param monitor the server's activity
	 */
	public ServerActivityMetrics(ServerActivityMonitor monitor) {
		this.monitor = monitor;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		gauge(registry, "db.budget.server.max.connections", "The server's max_connections",
				ServerActivity::maxConnections);
		gauge(registry, "db.budget.server.utilization",
				"Client sessions on the server as a share of its max_connections", ServerActivity::utilization);
		MultiGauge byState = MultiGauge.builder("db.budget.server.connections")
			.description("Client sessions on the server by state")
			.register(registry);
		MultiGauge byApplication = MultiGauge.builder("db.budget.server.application.connections")
			.description("Client sessions on the server by application_name")
			.register(registry);
		byState.register(rows("state", STATES, ServerActivity::byState), false);
		// Applications (and new states) come and go: each sample adds and removes their gauges.
		// The tag is 'application.name', as in pg_stat_activity: 'application' is the common
		// tag that names the service reporting the metrics.
		this.monitor.addListener((activity) -> {
			Set<String> states = new LinkedHashSet<>(STATES);
			states.addAll(activity.byState().keySet());
			byState.register(rows("state", states, ServerActivity::byState), false);
			byApplication.register(
					rows("application.name", activity.byApplication().keySet(), ServerActivity::byApplication), false);
		});
		this.monitor.start();
	}

	private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<ServerActivity> value) {
		Gauge.builder(name, this, (metrics) -> metrics.read(value)).description(description).register(registry);
	}

	private List<MultiGauge.Row<?>> rows(String tag, Iterable<String> values,
			Function<ServerActivity, Map<String, Integer>> counts) {
		List<MultiGauge.Row<?>> rows = new ArrayList<>();
		for (String value : values) {
			rows.add(MultiGauge.Row.of(Tags.of(tag, value), this,
					(metrics) -> metrics.read((activity) -> counts.apply(activity).getOrDefault(value, 0))));
		}
		return rows;
	}

	private double read(ToDoubleFunction<ServerActivity> value) {
		ServerActivity activity = this.monitor.getSample().current();
		return (activity != null) ? value.applyAsDouble(activity) : Double.NaN;
	}

}
