package io.dbbudget.pool;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServerAddress}.
 */
class ServerAddressTests {

	@Test
	void hostPortAndDatabase() {
		ServerAddress address = ServerAddress.of("jdbc:postgresql://DB.example.com:5433/orders?sslmode=require");
		assertThat(address.hosts()).containsExactly("db.example.com:5433");
		assertThat(address.database()).isEqualTo("orders");
		assertThat(address).hasToString("db.example.com:5433");
	}

	@Test
	void defaultPortIsTheDriversOwn() {
		assertThat(ServerAddress.of("jdbc:postgresql://primary/orders").hosts()).containsExactly("primary:5432");
		assertThat(ServerAddress.of("jdbc:mariadb://replica/orders").hosts()).containsExactly("replica:3306");
		assertThat(ServerAddress.of("jdbc:mysql://replica:3307/orders").hosts()).containsExactly("replica:3307");
	}

	@Test
	void urlWithoutHostReachesTheLocalServer() {
		assertThat(ServerAddress.of("jdbc:postgresql:orders"))
			.isEqualTo(new ServerAddress("postgresql", java.util.List.of("localhost:5432"), "orders"));
		assertThat(ServerAddress.of("jdbc:postgresql:///orders").hosts()).containsExactly("localhost:5432");
	}

	@Test
	void poolsOnOneServerShareItsKeyWhateverTheirDatabaseOrOptions() {
		assertThat(ServerAddress.of("jdbc:postgresql://db:5432/orders?ApplicationName=a").key())
			.isEqualTo(ServerAddress.of("jdbc:postgresql://db/billing").key());
		assertThat(ServerAddress.of("jdbc:postgresql://primary/orders").key())
			.isNotEqualTo(ServerAddress.of("jdbc:postgresql://replica/orders").key());
	}

	@Test
	void multiHostUrlIsOneServerWhateverTheHostsOrder() {
		ServerAddress address = ServerAddress.of("jdbc:postgresql://h1:5432,h2:5433/orders?targetServerType=primary");
		assertThat(address.isMultiHost()).isTrue();
		assertThat(address.hosts()).containsExactly("h1:5432", "h2:5433");
		assertThat(address.key()).isEqualTo(ServerAddress.of("jdbc:postgresql://h2:5433,h1/orders").key());
	}

	@Test
	void ipv6Host() {
		assertThat(ServerAddress.of("jdbc:postgresql://[::1]:5740/accounting").hosts()).containsExactly("[::1]:5740");
		assertThat(ServerAddress.of("jdbc:postgresql://[::1]/accounting").hosts()).containsExactly("[::1]:5432");
	}

	@Test
	void embeddedDatabaseIsItsOwnServer() {
		ServerAddress address = ServerAddress.of("jdbc:h2:mem:orders;DB_CLOSE_DELAY=-1");
		assertThat(address.hosts()).containsExactly("h2:mem:orders");
		assertThat(address.key()).isNotEqualTo(ServerAddress.of("jdbc:h2:mem:billing").key());
	}

	@Test
	void singleHostUrlsAskEachHostWithoutChoosingByType() {
		assertThat(ServerAddress.singleHostUrls("jdbc:postgresql://h1,h2:5433/orders?targetServerType=primary&ssl=true"))
			.containsExactly("jdbc:postgresql://h1/orders?ssl=true", "jdbc:postgresql://h2:5433/orders?ssl=true");
		assertThat(ServerAddress.singleHostUrls("jdbc:postgresql://h1,h2/orders?ssl=true&targetServerType=primary"))
			.containsExactly("jdbc:postgresql://h1/orders?ssl=true", "jdbc:postgresql://h2/orders?ssl=true");
		assertThat(ServerAddress.singleHostUrls("jdbc:postgresql://h1/orders?targetServerType=primary"))
			.containsExactly("jdbc:postgresql://h1/orders?targetServerType=primary");
	}

}
