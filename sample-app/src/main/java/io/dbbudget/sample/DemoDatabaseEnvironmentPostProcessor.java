package io.dbbudget.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;

import org.apache.commons.logging.Log;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Lets the sample app run on a machine with only a JDK. With no {@code spring.datasource.url}
 * configured (by {@code SPRING_DATASOURCE_URL} or anywhere else) it uses the PostgreSQL on
 * {@code 127.0.0.1:5432} when one listens there, and otherwise starts a {@link DemoPostgres} for
 * this run, which is stopped and deleted when the application context closes.
 * <p>
 * This is the sample's own convenience: the starter never starts a database.
 *
 * @author db-budget team
 */
class DemoDatabaseEnvironmentPostProcessor implements EnvironmentPostProcessor {

	private static final String URL_PROPERTY = "spring.datasource.url";

	private static final InetSocketAddress LOCAL_POSTGRES = new InetSocketAddress("127.0.0.1", 5432);

	private static final int CONNECT_TIMEOUT_MILLIS = 1000;

	private final Log logger;

	private final InetSocketAddress localPostgres;

	// Public: the one constructor that Boot's factories loader calls.
	public DemoDatabaseEnvironmentPostProcessor(DeferredLogFactory logFactory) {
		this(logFactory, LOCAL_POSTGRES);
	}

	DemoDatabaseEnvironmentPostProcessor(DeferredLogFactory logFactory, InetSocketAddress localPostgres) {
		this.logger = logFactory.getLog(DemoDatabaseEnvironmentPostProcessor.class);
		this.localPostgres = localPostgres;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (environment.containsProperty(URL_PROPERTY)) {
			return;
		}
		String local = this.localPostgres.getHostString() + ":" + this.localPostgres.getPort();
		if (isListening(this.localPostgres)) {
			String url = "jdbc:postgresql://" + local + "/postgres";
			this.logger.info("No " + URL_PROPERTY + " configured: using the PostgreSQL listening on " + local
					+ " (set SPRING_DATASOURCE_URL for another server)");
			environment.getPropertySources()
				.addLast(new MapPropertySource("localPostgres", Map.of(URL_PROPERTY, url)));
			return;
		}
		DemoPostgres server = DemoPostgres.start();
		this.logger.warn("DEMO DATABASE: no " + URL_PROPERTY + " configured and nothing listening on " + local
				+ ", so the sample app started its own throw-away PostgreSQL "
				+ server.programs().version() + " at " + server.jdbcUrl() + " (binaries from Maven Central, run as "
				+ server.programs().user() + ", data in " + server.directory()
				+ ", deleted on exit). Set SPRING_DATASOURCE_URL to use a real server.");
		// First, so that a username or password meant for another server does not lock it out.
		environment.getPropertySources()
			.addFirst(new MapPropertySource("demoPostgres", Map.of(URL_PROPERTY, server.jdbcUrl(),
					"spring.datasource.username", DemoPostgres.USERNAME, "spring.datasource.password", "")));
		application.addListeners(new Stopper(server));
	}

	private static boolean isListening(InetSocketAddress address) {
		try (Socket socket = new Socket()) {
			socket.connect(address, CONNECT_TIMEOUT_MILLIS);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Stops the demo server with the application: as the context's last disposable bean, after
	 * the pools that use it have closed, or at once if the application fails to start.
	 */
	private static final class Stopper implements ApplicationListener<ApplicationEvent> {

		private final DemoPostgres server;

		private Stopper(DemoPostgres server) {
			this.server = server;
		}

		@Override
		public void onApplicationEvent(ApplicationEvent event) {
			if (event instanceof ApplicationPreparedEvent prepared
					&& prepared.getApplicationContext().getBeanFactory() instanceof DefaultSingletonBeanRegistry beans) {
				// Disposable beans are destroyed in reverse order of registration: this one last.
				beans.registerDisposableBean("demoPostgres", this.server::close);
			}
			else if (event instanceof ApplicationFailedEvent) {
				this.server.close();
			}
		}

	}

}
