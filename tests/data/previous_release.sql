-- A database of genbot's previous release, filled by its own code as users use
-- the bot, for tests/test_upgrade.py.
-- Made by commit c6c796f9c9c3f3f76631453c22bec001cf4aaa9e Conformance: the cancel test waits for the remote task to exist before ending the job (a fixed pause could end it before a busy provider created it)
-- on 2026-12-04 18:14 UTC. Make it again from a
-- checkout of that commit:
--   cd <checkout> && python <genbot>/tests/support/make_previous_release_db.py <genbot>/tests/data/previous_release.sql
-- Rows: _yoyo_log 7, _yoyo_migration 7, _yoyo_version 1, balance_reservations 6, balances 8, conversation_state 3, free_usage 3, generation_events 24, generation_jobs 13, idempotency_records 4, payment_transactions 11, payments 5, processed_updates 76, project_history 3, projects 2, referral_rewards 2, referrals 2, users 8, yoyo_lock 0

--
-- PostgreSQL database dump
--

\restrict WUoSQTtwPpo9mKZCS56uLqyNuOncCwEVrZ4Jiz2J6VwU0HoieDPRdkR2hGZuAGO

-- Dumped from database version 18.6
-- Dumped by pg_dump version 18.6

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: _yoyo_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._yoyo_log (
    id character varying(36) NOT NULL,
    migration_hash character varying(64),
    migration_id character varying(255),
    operation character varying(10),
    username character varying(255),
    hostname character varying(255),
    comment character varying(255),
    created_at_utc timestamp without time zone
);


--
-- Name: _yoyo_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._yoyo_migration (
    migration_hash character varying(64) NOT NULL,
    migration_id character varying(255),
    applied_at_utc timestamp without time zone
);


--
-- Name: _yoyo_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._yoyo_version (
    version integer NOT NULL,
    installed_at_utc timestamp without time zone
);


--
-- Name: balance_reservations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.balance_reservations (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    amount_rub numeric(10,2) NOT NULL,
    status text DEFAULT 'held'::text NOT NULL,
    reason text,
    idempotency_key text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT balance_reservations_amount_rub_check CHECK ((amount_rub > (0)::numeric)),
    CONSTRAINT balance_reservations_status_check CHECK ((status = ANY (ARRAY['held'::text, 'captured'::text, 'released'::text])))
);


--
-- Name: balance_reservations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.balance_reservations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: balance_reservations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.balance_reservations_id_seq OWNED BY public.balance_reservations.id;


--
-- Name: balances; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.balances (
    user_id bigint NOT NULL,
    balance_rub numeric(10,2) DEFAULT 0,
    updated_at timestamp without time zone DEFAULT now(),
    CONSTRAINT balances_balance_rub_nonnegative CHECK ((balance_rub >= (0)::numeric))
);


--
-- Name: conversation_state; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversation_state (
    user_id bigint NOT NULL,
    flow text NOT NULL,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: free_usage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.free_usage (
    user_id bigint NOT NULL,
    day date NOT NULL,
    used integer DEFAULT 0 NOT NULL,
    CONSTRAINT free_usage_used_check CHECK ((used >= 0))
);


--
-- Name: generation_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.generation_events (
    id integer NOT NULL,
    user_id bigint NOT NULL,
    chat_id bigint,
    model_id text NOT NULL,
    category text,
    status text NOT NULL,
    is_free_applied boolean DEFAULT false,
    price_rub numeric(10,2) DEFAULT 0,
    request_id text,
    task_id text,
    error_code text,
    error_message text,
    duration_ms integer,
    created_at timestamp without time zone DEFAULT now()
);


--
-- Name: generation_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.generation_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: generation_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.generation_events_id_seq OWNED BY public.generation_events.id;


--
-- Name: generation_jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.generation_jobs (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    chat_id bigint NOT NULL,
    model_id text NOT NULL,
    category text,
    provider text NOT NULL,
    inputs jsonb NOT NULL,
    price_rub numeric(10,2) DEFAULT 0 NOT NULL,
    is_free boolean DEFAULT false NOT NULL,
    reservation_id bigint,
    draft_key text,
    status text DEFAULT 'queued'::text NOT NULL,
    timeout_s integer NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    locked_by text,
    heartbeat_at timestamp with time zone,
    started_at timestamp with time zone,
    deadline_at timestamp with time zone,
    finished_at timestamp with time zone,
    task_id text,
    result jsonb,
    error_code text,
    error_message text,
    progress_message_id bigint,
    notified boolean DEFAULT false NOT NULL,
    request_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    delivery_attempts integer DEFAULT 0 NOT NULL,
    delivering_until timestamp with time zone,
    delivering_by text,
    undeliverable text,
    lang text,
    failure_reason text,
    delivered_files jsonb,
    CONSTRAINT generation_jobs_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'timeout'::text, 'cancelled'::text])))
);


--
-- Name: generation_jobs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.generation_jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: generation_jobs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.generation_jobs_id_seq OWNED BY public.generation_jobs.id;


--
-- Name: idempotency_records; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency_records (
    key text NOT NULL,
    scope text NOT NULL,
    user_id bigint,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: payment_transactions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payment_transactions (
    id integer NOT NULL,
    user_id bigint NOT NULL,
    amount_rub numeric(10,2) NOT NULL,
    type text NOT NULL,
    reason text,
    created_at timestamp without time zone DEFAULT now()
);


--
-- Name: payment_transactions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.payment_transactions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: payment_transactions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.payment_transactions_id_seq OWNED BY public.payment_transactions.id;


--
-- Name: payments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payments (
    id bigint NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL,
    user_id bigint NOT NULL,
    amount_rub numeric(10,2),
    currency text DEFAULT 'RUB'::text NOT NULL,
    total_amount bigint,
    status text DEFAULT 'credited'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    review_reason text,
    CONSTRAINT payments_amount_rub_check CHECK ((amount_rub > (0)::numeric)),
    CONSTRAINT payments_source_check CHECK ((source = ANY (ARRAY['telegram'::text, 'stars'::text, 'provider'::text]))),
    CONSTRAINT payments_status_check CHECK ((status = ANY (ARRAY['review'::text, 'credited'::text, 'refunding'::text, 'refunded'::text])))
);


--
-- Name: payments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.payments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: payments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.payments_id_seq OWNED BY public.payments.id;


--
-- Name: processed_updates; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.processed_updates (
    update_id bigint NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: project_history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.project_history (
    id integer NOT NULL,
    project_id integer NOT NULL,
    user_id bigint NOT NULL,
    model_id text NOT NULL,
    inputs jsonb NOT NULL,
    outputs jsonb,
    status text NOT NULL,
    created_at timestamp without time zone DEFAULT now()
);


--
-- Name: project_history_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.project_history_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: project_history_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.project_history_id_seq OWNED BY public.project_history.id;


--
-- Name: projects; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.projects (
    id integer NOT NULL,
    user_id bigint NOT NULL,
    name text NOT NULL,
    description text,
    created_at timestamp without time zone DEFAULT now(),
    updated_at timestamp without time zone DEFAULT now()
);


--
-- Name: projects_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.projects_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: projects_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.projects_id_seq OWNED BY public.projects.id;


--
-- Name: referral_rewards; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.referral_rewards (
    id bigint NOT NULL,
    payment_source text NOT NULL,
    payment_external_id text NOT NULL,
    referrer_id bigint NOT NULL,
    referred_id bigint NOT NULL,
    amount_rub numeric(10,2) NOT NULL,
    status text DEFAULT 'paid'::text NOT NULL,
    unrecovered_rub numeric(10,2) DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT referral_rewards_amount_rub_check CHECK ((amount_rub >= (0)::numeric)),
    CONSTRAINT referral_rewards_status_check CHECK ((status = ANY (ARRAY['paid'::text, 'reversed'::text, 'unrecovered'::text]))),
    CONSTRAINT referral_rewards_unrecovered_rub_check CHECK ((unrecovered_rub >= (0)::numeric))
);


--
-- Name: referral_rewards_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.referral_rewards_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: referral_rewards_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.referral_rewards_id_seq OWNED BY public.referral_rewards.id;


--
-- Name: referrals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.referrals (
    id integer NOT NULL,
    referrer_id bigint NOT NULL,
    referred_id bigint NOT NULL,
    reward_rub numeric(10,2) DEFAULT 0,
    created_at timestamp without time zone DEFAULT now()
);


--
-- Name: referrals_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.referrals_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: referrals_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.referrals_id_seq OWNED BY public.referrals.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    user_id bigint NOT NULL,
    username text,
    first_name text,
    last_name text,
    created_at timestamp without time zone DEFAULT now(),
    updated_at timestamp without time zone DEFAULT now()
);


--
-- Name: yoyo_lock; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.yoyo_lock (
    locked integer DEFAULT 1 NOT NULL,
    ctime timestamp without time zone,
    pid integer NOT NULL
);


--
-- Name: balance_reservations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balance_reservations ALTER COLUMN id SET DEFAULT nextval('public.balance_reservations_id_seq'::regclass);


--
-- Name: generation_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_events ALTER COLUMN id SET DEFAULT nextval('public.generation_events_id_seq'::regclass);


--
-- Name: generation_jobs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_jobs ALTER COLUMN id SET DEFAULT nextval('public.generation_jobs_id_seq'::regclass);


--
-- Name: payment_transactions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_transactions ALTER COLUMN id SET DEFAULT nextval('public.payment_transactions_id_seq'::regclass);


--
-- Name: payments id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments ALTER COLUMN id SET DEFAULT nextval('public.payments_id_seq'::regclass);


--
-- Name: project_history id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.project_history ALTER COLUMN id SET DEFAULT nextval('public.project_history_id_seq'::regclass);


--
-- Name: projects id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects ALTER COLUMN id SET DEFAULT nextval('public.projects_id_seq'::regclass);


--
-- Name: referral_rewards id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referral_rewards ALTER COLUMN id SET DEFAULT nextval('public.referral_rewards_id_seq'::regclass);


--
-- Name: referrals id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referrals ALTER COLUMN id SET DEFAULT nextval('public.referrals_id_seq'::regclass);


--
-- Data for Name: _yoyo_log; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public._yoyo_log (id, migration_hash, migration_id, operation, username, hostname, comment, created_at_utc) FROM stdin;
5fedf340-f00e-11f1-a10d-02fc00000001	01b780ebb8f57ea33c28eed46a9af7adb55bbf160a67ad04c087f3c8dffff315	0001_seed_schema	apply	root	localhost	\N	2026-12-04 18:13:15.483586
5ff25296-f00e-11f1-a10d-02fc00000001	232a5636cc374697c42d157d1407079c296289e1c0e028e2c88be144e1659648	0002_core_mechanisms	apply	root	localhost	\N	2026-12-04 18:13:15.512275
5ff53e7a-f00e-11f1-a10d-02fc00000001	2ec26c276a056cee4dfb01b5503225536d49f11e82527626297578d87638a2e5	0003_conversations	apply	root	localhost	\N	2026-12-04 18:13:15.531396
5ffae2ee-f00e-11f1-a10d-02fc00000001	afc9cfeeba52e6c5a41835d7e71c04260e19d56154b862f39f1ed701dd75be34	0004_generation	apply	root	localhost	\N	2026-12-04 18:13:15.568404
5ffe4c04-f00e-11f1-a10d-02fc00000001	e5b685a1969dbd0816b758eb1048f4bee7f49a81da92182ba4a5fcb3156b2d96	0005_payments	apply	root	localhost	\N	2026-12-04 18:13:15.59073
600172e4-f00e-11f1-a10d-02fc00000001	f6d66d39ae10b80eca93d67308a71c528ca6ea5f18f1d0c90a56a10309204263	0006_money_under_faults	apply	root	localhost	\N	2026-12-04 18:13:15.611377
6002862a-f00e-11f1-a10d-02fc00000001	f80d039c91713651c5c242a18dfc4b415d435fbb377b57fd408cb217cb418f7f	0007_journey	apply	root	localhost	\N	2026-12-04 18:13:15.618379
\.


--
-- Data for Name: _yoyo_migration; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public._yoyo_migration (migration_hash, migration_id, applied_at_utc) FROM stdin;
01b780ebb8f57ea33c28eed46a9af7adb55bbf160a67ad04c087f3c8dffff315	0001_seed_schema	2026-12-04 18:13:15.487693
232a5636cc374697c42d157d1407079c296289e1c0e028e2c88be144e1659648	0002_core_mechanisms	2026-12-04 18:13:15.514936
2ec26c276a056cee4dfb01b5503225536d49f11e82527626297578d87638a2e5	0003_conversations	2026-12-04 18:13:15.534222
afc9cfeeba52e6c5a41835d7e71c04260e19d56154b862f39f1ed701dd75be34	0004_generation	2026-12-04 18:13:15.57152
e5b685a1969dbd0816b758eb1048f4bee7f49a81da92182ba4a5fcb3156b2d96	0005_payments	2026-12-04 18:13:15.59353
f6d66d39ae10b80eca93d67308a71c528ca6ea5f18f1d0c90a56a10309204263	0006_money_under_faults	2026-12-04 18:13:15.613464
f80d039c91713651c5c242a18dfc4b415d435fbb377b57fd408cb217cb418f7f	0007_journey	2026-12-04 18:13:15.619642
\.


--
-- Data for Name: _yoyo_version; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public._yoyo_version (version, installed_at_utc) FROM stdin;
2	2026-12-04 18:13:15.38785
\.


--
-- Data for Name: balance_reservations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.balance_reservations (id, user_id, amount_rub, status, reason, idempotency_key, created_at, updated_at) FROM stdin;
1	1001	15.00	captured	generation 4: demo-image-hd	job:4	2026-12-04 18:13:22.917364+00	2026-12-04 18:13:22.987499+00
2	1001	15.00	released	generation 5: demo-image-hd	job:5	2026-12-04 18:13:22.943717+00	2026-12-04 18:13:23.896127+00
3	1003	5.00	released	generation 6: demo-text-pro	job:6	2026-12-04 18:13:23.933735+00	2026-12-04 18:13:54.958852+00
4	1001	15.00	released	generation 11: demo-image-hd	job:11	2026-12-04 18:14:14.182847+00	2026-12-04 18:14:14.200433+00
5	1005	5.00	held	generation 12: demo-text-pro	job:12	2026-12-04 18:14:14.223424+00	2026-12-04 18:14:14.223424+00
6	1003	15.00	held	generation 13: demo-image-hd	job:13	2026-12-04 18:14:14.271419+00	2026-12-04 18:14:14.271419+00
\.


--
-- Data for Name: balances; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.balances (user_id, balance_rub, updated_at) FROM stdin;
1004	0.00	2026-12-04 18:13:15.688963
1007	0.00	2026-12-04 18:13:15.706534
1	0.00	2026-12-04 18:13:15.713116
1002	100.00	2026-12-04 18:13:15.820261
1006	100.00	2026-12-04 18:13:15.861335
1001	495.00	2026-12-04 18:14:14.200433
1005	295.00	2026-12-04 18:14:14.223424
1003	1219.50	2026-12-04 18:14:14.271419
\.


--
-- Data for Name: conversation_state; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.conversation_state (user_id, flow, data, updated_at) FROM stdin;
1004	gen	{"step": 0, "model": "demo-video", "token": "ccc1af9961da", "inputs": {}}	2026-12-04 18:14:14.291317+00
1007	projects:new	{}	2026-12-04 18:14:14.301375+00
1002	payments:amount	{}	2026-12-04 18:14:14.314836+00
\.


--
-- Data for Name: free_usage; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.free_usage (user_id, day, used) FROM stdin;
1004	2026-12-04	2
1002	2026-12-04	1
1006	2026-12-04	3
\.


--
-- Data for Name: generation_events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.generation_events (id, user_id, chat_id, model_id, category, status, is_free_applied, price_rub, request_id, task_id, error_code, error_message, duration_ms, created_at) FROM stdin;
1	1004	1004	demo-image	image	started	t	0.00	f5ea7d74f358	\N	\N	\N	\N	2026-12-04 18:13:15.928934
2	1004	1004	demo-image	image	success	t	0.00	f5ea7d74f358	\N	\N	\N	51	2026-12-04 18:13:16.243698
3	1004	1004	demo-text	text	started	t	0.00	3ba64de960d6	\N	\N	\N	\N	2026-12-04 18:13:19.897685
4	1004	1004	demo-text	text	failed	t	0.00	3ba64de960d6	\N	demo_fail	the demo provider failed on purpose (!fail in the prompt)	0	2026-12-04 18:13:19.911561
5	1004	1004	demo-audio	audio	started	t	0.00	c7e2740fe62f	\N	\N	\N	\N	2026-12-04 18:13:22.8951
6	1001	1001	demo-image-hd	image	started	f	15.00	f89d361f4c65	\N	\N	\N	\N	2026-12-04 18:13:22.923799
7	1001	1001	demo-image-hd	image	started	f	15.00	20c5d54d6a85	\N	\N	\N	\N	2026-12-04 18:13:22.946189
8	1004	1004	demo-audio	audio	success	t	0.00	c7e2740fe62f	\N	\N	\N	60	2026-12-04 18:13:22.967252
9	1001	1001	demo-image-hd	image	success	f	15.00	f89d361f4c65	\N	\N	\N	50	2026-12-04 18:13:22.989978
10	1001	1001	demo-image-hd	image	failed	f	0.00	20c5d54d6a85	\N	demo_fail	the demo provider failed on purpose (!fail in the prompt)	0	2026-12-04 18:13:23.903798
11	1003	1003	demo-text-pro	text	started	f	5.00	4ab7aaca27bf	\N	\N	\N	\N	2026-12-04 18:13:23.944341
12	1002	1002	demo-video	video	started	t	0.00	85da0ec0be7e	\N	\N	\N	\N	2026-12-04 18:13:23.971658
13	1002	1002	demo-video	video	success	t	0.00	85da0ec0be7e	\N	\N	\N	51	2026-12-04 18:13:25.983544
14	1003	1003	demo-text-pro	text	timeout	f	0.00	4ab7aaca27bf	\N	timeout	the provider did not finish in time	30041	2026-12-04 18:13:54.971558
15	1006	1006	demo-image	image	started	t	0.00	ed4a554d5192	\N	\N	\N	\N	2026-12-04 18:14:01.101413
16	1006	1006	demo-image	image	success	t	0.00	ed4a554d5192	\N	\N	\N	50	2026-12-04 18:14:01.15869
17	1006	1006	demo-image	image	started	t	0.00	11d038972817	\N	\N	\N	\N	2026-12-04 18:14:06.111301
18	1006	1006	demo-image	image	success	t	0.00	11d038972817	\N	\N	\N	50	2026-12-04 18:14:06.176478
19	1006	1006	demo-text	text	started	t	0.00	389ab16316e6	\N	\N	\N	\N	2026-12-04 18:14:11.100163
20	1006	1006	demo-text	text	success	t	0.00	389ab16316e6	\N	\N	\N	50	2026-12-04 18:14:11.155435
21	1001	1001	demo-image-hd	image	started	f	15.00	9df2fbf13e25	\N	\N	\N	\N	2026-12-04 18:14:14.195199
22	1001	1001	demo-image-hd	image	failed	f	0.00	9df2fbf13e25	\N	cancelled	\N	\N	2026-12-04 18:14:14.201949
23	1005	1005	demo-text-pro	text	started	f	5.00	5466e489510a	\N	\N	\N	\N	2026-12-04 18:14:14.231987
24	1003	1003	demo-image-hd	image	started	f	15.00	c7123d3bd87e	\N	\N	\N	\N	2026-12-04 18:14:14.279092
\.


--
-- Data for Name: generation_jobs; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.generation_jobs (id, user_id, chat_id, model_id, category, provider, inputs, price_rub, is_free, reservation_id, draft_key, status, timeout_s, attempts, locked_by, heartbeat_at, started_at, deadline_at, finished_at, task_id, result, error_code, error_message, progress_message_id, notified, request_id, created_at, updated_at, delivery_attempts, delivering_until, delivering_by, undeliverable, lang, failure_reason, delivered_files) FROM stdin;
1	1004	1004	demo-image	image	demo	{"prompt": "кот-самурай 🐱", "aspect_ratio": "16:9"}	0.00	t	\N	1004:2e259e21f671	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:13:16.176904+00	2026-12-04 18:13:16.176904+00	2026-12-04 18:13:46.176904+00	2026-12-04 18:13:16.235496+00	\N	{"kind": "image", "text": null, "urls": [], "files": [{"b64": "iVBORw0KGgoAAAANSUhEUgAAAGAAAAA2CAIAAAC3LQuFAAACqklEQVR42u3QZVYUABQG0LcP6e7u7u7u7hi6hq4hVIyliISEhISEdIc0SIM0+MNhA28F3zl3BZckPv+T+PQi+fFF6sOzVMuzdMuTzPsn2XePsm8f5Zof5JsfFJruFRrvFRvulER3yqJb5fpblbob1dobtZq/YurV1xpV15qVV5oVV1oVl9rllzplFzqlF7rCcz3huX7JmX7xmUHRqWHhqVHhiVHBiXH+sUnesWnuHzGznCPz7COLrEMLwaGl4MAq88A6Y986fd8mbc82bc8uddcuZdc+ecchaccxadsxcdspYcs5fssl7reYa+ymW8yme/SGe9SGR9S6Z+S6V8SaV/iad9iqT9iqb+iKb8iKX/Cyf9BygFjgUmDAUpD/YpDfYrDfQojvQqjPfKj3fJjXXLjXXITnbITHbKT7TJTbTLTbdLTrdIzLVKzzVJzTLzHCDrMT7zhJ2GF2EhwmCTvMTqL9BGGH2Um0myDsMDtJduOEHWYn2XacsMPspNiMEXaYnRTrMcIOs5Nq9ZOww+ykiYOww+ykW44SdpiddItRwg6zk2E+QthhdjLNRgg7zI7AbJiww+wITIcJO8xOlskQYYfZyTYeIuwwOzlGPwg7zM5rEHaYnVzDQcIOs5NnMEjYYXby9QcIO8xOvt4AYYfZKdDrJ+wwO4W6/YQdZqdIp4+ww+wUafcRdpidYq3vhB1mp0QchB1mR6jZS9hhdoQavYQdZqdUvYeww+yUqfUQdpidcrVuwg6zU67aTdhhdipUugg7zE6lchdhh9mpUvpG2GF2XoOww+xUK3YSdpidGoVOwg6zUyvfQdhhdmrlOgg7zE6dXDthh9mpl20n7DA7Ipk2wg6zI5JuI+wwOw1SXwk7zE6jOAg7zE6TZCthh9lpkmgl7DA7zW++/Af2JmT2N4LvaQAAAABJRU5ErkJggg==", "mime": "image/png", "name": "genbot.png"}]}	\N	\N	1	t	f5ea7d74f358	2026-12-04 18:13:15.925637+00	2026-12-04 18:13:16.235496+00	1	\N	vm:12908	\N	ru	\N	[{"kind": "photo", "file_id": "photo-1010"}]
2	1004	1004	demo-text	text	demo	{"prompt": "!fail стихи"}	0.00	t	\N	1004:1e425a114fb0	failed	30	1	vm:12908:1bf4b3	2026-12-04 18:13:19.89903+00	2026-12-04 18:13:19.89903+00	2026-12-04 18:13:49.89903+00	2026-12-04 18:13:19.908136+00	\N	\N	demo_fail	the demo provider failed on purpose (!fail in the prompt)	1013	t	3ba64de960d6	2026-12-04 18:13:19.889144+00	2026-12-04 18:13:19.908136+00	1	\N	vm:12908	\N	ru	failed	\N
3	1004	1004	demo-audio	audio	demo	{"prompt": "спокойная"}	0.00	t	\N	1004:3dde67c0651f	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:13:22.923207+00	2026-12-04 18:13:22.896739+00	2026-12-04 18:13:52.896739+00	2026-12-04 18:13:22.958686+00	\N	{"kind": "audio", "text": null, "urls": [], "files": [{"b64": "UklGRqQ+AABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YYA+AAAAAA0AMQBZAHEAZgAwANX/af8J/9X+5/5G/+f/qABeAdYB6gGJAbwArP+T/rX9T/2D/VT+m/8UAWkCRwNvA80CdwG1/+f9e/zK+wr8Of0d/04BUAOnBPwELgRgAvH/av1f+076gfr6+27+VwEOBPEFigaoBXMDXwAc/WT63vjs+Jr6kP0sAaEEIgcVCDgHrgQBAf/8j/l/91H3HPmE/M4ABQU0CJkJ1wgOBtMBFv3k+Df2tPWF9077PAA6BSMJDwuCCpAH1gJg/WT4CfUa9Nn17vl4/zwF7Ql0DDQMLwkHBN79E/j684jyHPRp+IL+CgWMCsIN6A3oCmQFkf709w/zA/FU8sL2Wv2kBP4K9Q6YD7cM6gZ4/wj4SvKR74Xw/fQD/AgEQQsIEEARlg6WCJEAUfiw8TbutO4e83/6NgNQC/cQ2hKBEGYK3gHQ+EXx9uzn7Cjx0PguAisLvhFiFHMSVAxbA4b5C/HX6yLrIe/69vIA0ApZEtIVaBReDgcFdPoE8d3qa+kN7QD1g/89CsQSJhdZFoAQ3gaZ+zTxDOrG5/Lq5fLh/XEJ/hJYGEIYsxLfCPT8nPFo6Tnm0+it8A78bAgBE2UZHhr0FAYLhf4+8vXoyeS45l3uDvouB80SSBrnGz4XTw1KABrzteh746Tk+evi97cFXxL9GpgdjBm2D0ICMfSt6FPineKH6Y71BwS1EYAbKx/YGzgSagSF9d7oVuGp4ArnFvMhAs4QzRudIB0ezxTABhP3TOmJ4MzeiOR+8AYAqg/iG+ghVSB3F0AJ3Pj36e7fDd0H4sntuf1HDrsbByN7Iioa5wvf+uHqi99x24zf/Oo7+6cMVhv1I4ok5ByxDhr9DOxi3/vZHN0d6JD4yQqxGrAkeyafH5oRiv947Xbfsti+2jDlu/WuCMoZMSVKKFYinRQtAiTvy9+b13fYOuLA8lgGoBh3JfIpAiW2FwEFEvFi4LjWTNZC36PvyQMyF34lbSueJ98aAgg/8z3hD9ZD1EzcaewEAYEVQiW2LCQqEh4sC6r1XuKk1WLSX9kX6Qv+ixPBJMktjixLIXwOWPjr48vVJdEE1xXm+Pr7EC8jfi2WLXMjWxFf+2zmNtcp0Z/VmOPx9xkOFyGoLDMuXyUoFGv+CenO2F/RaNQ54fT0KAvcHqMrni4jJ98WeAG/65DayNFg0/3eAvIqCH8cbSrWLrwofRmFBIruetxj0onS5Nwg7yQFAxoKKdsuKCr/G40HafGM3jDT5NHx2k/sGQJqF3onri5nK2MejApY9MHgLtRw0SbZlekL/7gUvyVNLncspSCADVT3GeNb1TDRhtfz5v778BHbI7otVi3EImUQWfqQ5bfWItES1mvk9vgUD9Ah9iwELr4kOBNk/SToP9hH0cvUAuL19ScMoR8ALIAujyb3FXEA0urz2Z/RtNO63//yLglOHdsqyS43KJ4YfgOX7dDbKdLM0pXdF/AqBtwahynfLrIpKRuIBnDw1d3m0hbSldtA7SADTRgGKMMuASuYHYoJWfP/39PTktG82X7qEgCkFVkmcy4gLOYfggxR9kvi8NRA0Q7Y0+cG/eISgyTyLRAtESJtD1P5uOQ81iHRi9ZD5fv5DRCFIj4tzy0YJEcSXPxC57bXNdE01c/i9/YlDWEgWSxcLvclDRVq/+jpW9l80Q3Ue+D98zAKGx5DK7YurSe8F3cCpewr2/XRFdNK3hDxLwezG/8p3i43KVEaggV47yLdodJO0j3cM+4nBC0ZjSjSLpUqyRyHCFzyQN9907nRV9pq6xoBjBbvJpQuxSsjH4MLT/WB4YvUVtGa2LfoDf7TEyYlIy7FLFohcw5O+OPjx9Um0QjXHeYB+wQRNSOALZQtbSNTEVb7ZOYy1yjRo9Wf4/v3Ig4eIassMi5aJR8UYv4A6cjYXtFr1EHh/fQxC+MepiudLh4n1xZvAbbritrG0WPTA98L8jQIhhxxKtYutyh1GXwEgu503GHSjNLq3CjvLgUKGg8p3C4kKvcbgwdg8YXeLdPl0ffaWOwiAnIXfyevLmQrWx6DCk/0uuAr1HHRLNmd6RX/wRTFJU8udCyeIHcNSvcS41fVMNGL1/rmCPz4EeEjvC1ULb4iXBBP+ojlstYi0RbWc+T/+B0P1yH4LAIuuCQwE1r9HOg62EbRz9QK4v71MAynHwQsfi6KJu8VZwDJ6u7ZntG308HfCPM3CVYd3yrILjIolhh1A47tytsn0s/Sm90g8DQG5BqLKd8urikiG34GZ/DO3ePSGNKb20ntKQNVGAsowy79KpAdgQlQ8/jf0NOT0cLZhuocAKwVXyZ1Lh0s3x95DEj2ROLt1EDRE9jb5w/96xKJJPMtDS0LImQPSvmw5DjWIdGP1krlBPoWEIsiQC3NLRIkPhJT/Drnsdc00TjV1uIA9y8NaCBcLFou8SUEFWD/3+lW2XrRENSC4Ab0OQoiHkcrtS6oJ7MXbQKd7CXb89EY01DeGfE5B7sbAyrdLjMpSRp5BW/vHN2e0lDSQ9w87jAENRmSKNMukSrCHH4IU/I533rTutFd2nLrJAGVFvQmlS7BKxsfegtG9Xrhh9RX0Z/Yv+gX/tsTLCUlLsIsUyFqDkX42+PD1SbRDdcl5gv7DBE8I4Itki1nI0oRTPtc5i3XKNGn1afjBPgrDiUhriwwLlQlFxRY/vjow9hd0W/USOEG9ToL6h6qK5wuGCfOFmYBruuE2sXRZtMK3xTyPQiOHHUq1S6yKG0ZcgR57m7cX9KO0vDcMe83BRIaEyncLiAq8Bt6B1jxft4r0+fR/Nph7CsCeheEJ68uYCtUHnoKRvSz4CfUc9Ex2aXpHv/JFMolUC5xLJggbg1B9wrjU9Ux0ZDXAucR/AES5yO/LVEtuCJTEEb6geWu1iLRGtZ75Aj5Jg/dIfssAC6yJCcTUf0U6DXYRdHT1BHiB/Y6DK4fByx9LoQm5hVeAMHq6Nmc0brTyN8R80AJXR3jKsguLSiOGGsDhe3E2yXS0dKh3SnwPQbsGpAp3y6qKRobdQZe8Mjd4NIa0qHbUe0zA10YECjELvkqiR14CUfz8d/N05TRx9mP6iUAtBVkJnYuGizYH3AMPvY84unUQdEY2OPnGP30Eo8k9S0LLQQiWw9A+ankNNYh0ZPWUuUO+h4QkiJDLcstDCQ1Ekr8Mues1zTRPNXe4gr3OA1vIF8sWS7sJfwUV//X6VHZedET1IngD/RCCikeSiu0LqMnqxdkApTsH9vy0RrTV94i8UIHwhsHKt0uLilBGm8FZu8W3ZzSUtJJ3EXuOgQ9GZYo0y6NKrocdQhK8jLfeNO80WLae+stAZ0W+SaWLr4rFB9xCz31cuGE1FjRpNjH6CD+5BMyJSYuvyxNIWEOPPjU47/VJtER1y3mFPsVEUIjhC2QLWEjQRFD+1TmKNco0avVruMN+DQOKyGxLC4uTiUOFE/+8Oi+2FzRctRP4Q/1QwvxHq0rmy4TJ8YWXAGl63/aw9Fp0xHfHfJGCJUceSrVLq4oZRlpBHDuaNxd0pDS9tw670AFGhoYKdwuHCroG3EHT/F43ijT6dEC22nsNQKDF4knsC5cK00ecAo99KzgJNR00TbZruko/9EU0CVSLm4skSBlDTj3A+NP1THRlNcK5xv8ChLtI8EtTy2xIksQPfp55anWIdEf1oLkEvkvD+Qh/iz+LawkHxNH/QzoMNhF0dbUGOIQ9kMMtR8KLHwufybeFVQAuerj2ZvRvdPO3xrzSglkHeYqxy4oKIYYYgN97b7bI9LU0qjdMfBGBvQalCnfLqUpEhtsBlXwwt3e0hzSp9ta7TwDZRgVKMUu9iqCHW4JPvPq38nTltHN2ZfqLwC9FWomdy4XLNEfZww19jXi5dRC0R3Y6+ci/fwSlST3LQgt/iFSDzf5oeQw1iHRmNZa5Rf6JxCYIkUtyS0GJC0SQPwq56jXM9FA1eXiE/dBDXYgYixXLuYl8xRN/8/pS9l40RfUkOAY9EwKMB5OK7QuniejF1oCi+wZ2/DRHdNe3ivxSwfKGwsq3S4qKTkaZgVd7w/dmtJU0k/cTe5DBEUZmyjTLokqsxxrCEHyLN91073RaNqD6zYBpRb+JpcuuysNH2gLNPVr4YDUWNGq2M/oKf7sEzclKC68LEYhWA4y+Mzju9Um0RbXNOYd+x4RSCOHLY0tWyM4ETn7TOYk1yfRr9W24xb4PQ4yIbQsLS5JJQYURv7o6LnYW9F21FbhGPVMC/gesCuaLg4nvhZTAZ3redrC0WzTF98m8lAInRx9KtUuqShdGV8EaO5i3FvSk9L93EPvSgUiGhwp3C4YKuEbZwdG8XHeJdPr0Qjbcuw+AosXjiexLlkrRh5nCjT0peAh1HXRPNm26TH/2hTVJVMuayyKIFwNL/f74kzVMtGZ1xLnJPwTEvMjwy1MLasiQhAz+nHlpdYh0SPWiuQb+TcP6iEALf0tpiQWEz79BOgr2ETR2tQf4hr2TAy8Hw0sey56JtYVSwCw6t3ZmtHA09XfI/NTCWwd6irHLiMofRhYA3TtuNsi0tbSrt068FAG+xqYKd8uoSkLG2IGTPC73dvSHtKt22PtRgNtGBkoxS7yKnodZQk18+PfxtOX0dLZn+o4AMUVbyZ4LhQsyh9eDCz2LuLh1EPRItjz5yv9BRObJPktBi33IUkPLvmZ5CvWIdGc1mLlIfowEJ4iRy3HLQAkJBI3/CLno9cz0UTV7eIc90oNfSBlLFYu4SXrFET/x+lG2XfRGtSX4CH0VQo3HlIrsy6YJ5sXUQKD7BTb7tEg02TeNPFVB9EbECrdLiUpMRpdBVTvCd2X0lbSVtxW7k0ETRmgKNQuhSqrHGIIOPIl33LTv9Fu2ozrQAGtFgQnmC63KwYfXwsr9WThfdRZ0a/Y1+gz/vUTPSUqLrksPyFPDin4xeO31SfRG9c85if7JxFOI4ktiy1UIy8RMPtE5h/XJ9Gz1b3jIPhGDjkhtywrLkMl/RM8/uDotNha0XnUXeEh9VYL/x60K5kuCSe2FkkBlOtz2sDRb9Me3y/yWQikHIEq1C6kKFUZVgRf7lzcWdKV0gPdTO9TBSoaISndLhQq2RteBz3xa94i0+zRDtt67EgCkxeTJ7IuVSs/Hl4KK/Se4B3UdtFB2b7pO//iFNslVC5oLIMgUw0l9/TiSNUy0Z7XGuct/BsS+iPFLUotpSI5ECr6aeWh1iHRJ9aS5CT5QA/xIQMt+y2gJA0TNf375ybYQ9He1CfiI/ZVDMMfECx6LnQmzRVBAKjq2NmY0cPT3N8s81wJcx3uKsYuHih1GE8Da+2y2yDS2dK13UPwWQYDG50p4C6dKQMbWQZD8LXd2dIg0rLba+1PA3UYHijGLu4qcx1cCSzz3N/D05jR2Nmo6kEAzRV0JnouECzDH1UMI/Yn4t7UQ9Em2PvnNf0NE6Ak+y0DLfEhQA8k+ZLkJ9Yh0aHWaeUq+jkQpSJKLcUt+iMbEi38Guee1zLRSNX04iX3Uw2DIGgsVC7bJeIUO/++6UHZdtEd1J7gK/ReCj8eVSuyLpMnkxdIAnrsDtvs0SLTa9498V4H2RsUKt0uISkqGlMFTO8D3ZXSWdJc3F/uVgRVGaQo1C6BKqQcWQgv8h7fb9PA0XPalOtJAbYWCSeZLrQr/x5WCyH1XeF51FrRtNjg6Dz+/RNDJSsutyw5IUYOIPi947PVJ9Ef10TmMPsvEVQjiy2JLU4jJxEn+zzmG9cn0bfVxeMp+E8OPyG5LCouPSX1EzP+1+iv2FnRfdRk4Sv1XwsGH7crmC4EJ60WQAGM627av9Fy0yXfOPJiCKschSrULqAoTRlNBFbuVtxW0pfSCd1U710FMRolKd0uECrRG1UHNPFk3iDT7tEU24PsUQKbF5gnsy5SKzceVQoh9JfgGtR30UbZx+lE/+sU4SVWLmUsfSBKDRz37eJE1TPRo9ci5zf8JBIAJMctRy2eIjAQIfpi5ZzWIdEr1pnkLvlJD/chBi35LZskBRMr/fPnIthD0eHULuIs9l4Myh8ULHgubybFFTgAn+rS2ZfRxtPj3zXzZQl6HfIqxS4ZKG0YRgNj7a3bHtLb0rvdTPBiBgsboSnfLpgp+xpQBjrwrt3W0iLSuNt07VgDfRgjKMcu6ipsHVMJI/PV38DTmtHd2bDqSwDWFXomey4NLLwfTAwa9h/i2tRE0SvYBOg+/RYTpiT9LQAt6iE3Dxv5iuQj1iHRpdZx5TP6QhCrIkwtwy3zIxMSJPwS55nXMtFM1fviL/dcDYogayxTLtUl2hQx/7bpPNl10SHUpeA09GcKRh5ZK7EujieLFz4CcuwI2+vRJdNx3kbxZwfhGxgq3C4cKSIaSgVD7/3ck9Jb0mLcaO5fBF0ZqSjVLn0qnRxQCCbyF99s08LRedqd61MBvhYOJ5ousCv4HkwLGPVW4XbUW9G52OjoRv4GFEklLS60LDIhPQ4W+Lbjr9Un0STXTOY5+zgRWyONLYctSCMeER37NOYW1ybRu9XM4zL4WA5GIbwsKC43JewTKf7P6KrYWNGA1GvhNPVoCw0fuyuXLv4mpRY2AYPraNq90XXTLN9B8msIsxyJKtMumyhFGUMETe5P3FTSmtIP3V3vZgU5Giop3S4LKsobSwcr8V7eHdPw0Rnbi+xaAqMXnie0Lk4rMB5MChj0kOAX1HjRS9nP6U3/8xTmJVcuYix2IEENE/fl4kDVM9Go1yrnQPwtEgYkyS1FLZgiJxAX+lrlmNYh0TDWoeQ3+VIP/iEILfctlST8EiL96+cd2ELR5dQ14jX2ZwzRHxcsdy5qJr0VLwCX6s3ZltHJ0+rfPvNuCYId9irFLhUoZRg8A1rtp9sc0t7Swt1V8GwGEhulKd8ulCn0GkYGMfCo3dTSI9K+233tYgOGGCgoxy7mKmQdSgka887fvdOb0ePZuepUAN4VfyZ8LgostR9DDBD2GOLW1EXRMNgM6Ef9HxOsJP4t/izkIS8PEvmC5B/WIdGp1nnlPfpLELEiTy3BLe0jChIb/ArnlNcx0U/VA+M492UNkSBuLFIu0CXRFCj/ruk22XTRJNSs4D30cApNHlwrsC6JJ4MXNQJp7ALb6dEo03jeT/FxB+gbHCrcLhgpGhpABTrv9tyQ0l3SaNxw7mkEZRmuKNUueSqVHEYIHfIR32nTw9F/2qXrXAHGFhMnmy6tK/EeQwsP9U/hctRc0b7Y8OhP/g4UTiUuLrEsKyE0Dg34ruOr1SjRKNdU5kP7QRFhI5AthC1CIxURFPst5hHXJtG/1dTjPPhhDk0hvywmLjIl5BMg/sfopNhY0YTUcuE99XELFB++K5Yu+SadFi0Be+ti2rzReNMy30rydQi6HI0q0y6WKD0ZOgRF7kncUtKc0hbdZu9vBUEaLindLgcqwhtCByLxV94a0/LRH9uU7GQCqxejJ7QuSispHkIKD/SJ4BPUedFR2dfpV//8FOwlWS5fLG8gOA0K997iPNU00azXMudK/DUSDCTLLUMtkiIeEA76UuWT1iHRNNap5ED5Ww8EIgst9S2PJPQSGP3j5xjYQdHp1DziPvZwDNgfGix2LmQmtBUlAI/qx9mU0c3T8d9H83gJiR35KsQuEChdGDMDUe2h2xrS4NLI3V7wdQYaG6op3y6QKewaPQYp8KHd0dIl0sTbhe1rA44YLSjILuMqXR1ACRHzyN+605zR6NnB6l4A5hWEJn0uByyuHzoMB/YR4tPURdE12BToUf0nE7IkAC77LN0hJg8I+XvkGtYi0a7WgeVG+lMQuCJRLb8t5yMBEhH8AueQ1zHRU9UK40H3bg2YIHEsUC7KJckUHv+l6THZc9En1LPgRvR6ClQeYCuvLoQnehcrAmHs/Nrn0SvTft5Y8XoH8BsgKtwuEykSGjcFMe/w3I7SX9Ju3HnucgRtGbIo1S51Ko4cPQgU8grfZtPF0YTarutmAc4WGCecLqor6h46Cwb1SOFv1F3Rw9j46Fj+FxRUJTAuriwlISsOBPin46fVKNEt11zmTPtKEWcjki2CLTwjDBEL+yXmDdcm0cPV2+NF+GoOUyHCLCUuLCXbExf+v+if2FfRh9R64Ub1egsbH8ErlS70JpUWJAFy613autF60znfU/J+CMIckSrTLpIoNRkwBDzuQ9xQ0p7SHN1v73kFSRozKd0uAyq7GzkHGfFQ3hjT89El253sbQKzF6gntS5HKyIeOQoG9ILgENR60VbZ3+lg/wQV8SVaLlwsaCAvDQD31uI41TTRsdc651P8PhISJM0tQC2LIhYQBPpK5Y/WIdE41rDkSvlkDwsiDS3zLYkk6xIP/dvnE9hA0e3UROJI9nkM3x8dLHUuXyasFRwAhurC2ZPR0NP431DzgQmQHf0qwy4LKFUYKQNJ7ZvbGNLj0s7dZ/B+BiIbrinfLosp5Bo0BiDwm93P0ifSytuO7XUDlhgyKMgu3ypWHTcJCPPB37fTntHu2cnqZwDvFYomfi4ELKcfMAz+9Qriz9RG0TrYHOha/TATuCQCLvgs1yEdD//4c+QW1iLRstaI5U/6XBC+IlQtvC3hI/gRCPz65ovXMNFX1RLjSvd3DZ4gdCxPLsUlwRQV/53pLNlx0SvUuuBP9IMKWx5kK68ufydyFyICWOz32uXRLdOF3mDxgwf3GyQq3C4PKQoaLgUo7+rcjNJh0nTcgu58BHUZtyjWLnEqhhw0CAvyA99j08bRitq2628B1xYeJ50upivjHjEL/fRB4WvUXtHI2ADpYv4fFFolMi6rLB4hIg7795/jo9Uo0TLXZOZW+1MRbSOULYAtNSMEEQH7HeYI1ybRx9Xj4074cw5aIcUsIy4mJdMTDf636JrYVtGL1IHhT/WDCyMfxSuULu8mjBYaAWrrV9q50X3TQN9c8ocIyRyVKtIujSgtGScEM+493E7SodIi3XjvggVRGjcp3i7/KbMbLwcQ8UreFdP10Svbpex3ArwXrSe2LkMrGx4wCv3ze+AN1HzRW9no6Wr/DRX3JVwuWSxhICUN9/bP4jTVNdG210LnXPxHEhgkzy0+LYUiDRD7+UPli9Yh0TzWuORT+W0PESIQLfItgyTiEgb90+cO2EDR8NRL4lH2ggzmHyAscy5ZJqQVEgB+6rzZktHT0//fWfOKCZgdASvDLgYoTRggA0DtldsW0ubS1d1w8IgGKRuyKd8uhyncGioGF/CV3czSKdLQ25ftfgOeGDcoyS7bKk4dLgn/8rrftNOf0fPZ0upxAPcVjyaALgAsoR8nDPX1AuLL1EfRP9gk6GT9OBO+JAQu9izQIRQP9vhr5BLWItG31pDlWfplEMQiVi26Ldsj8BH++/Pmhtcw0VvVGeNU94ANpSB3LE0uvyW4FAv/lekm2XDRLtTB4Fj0jApjHmcrri56J2oXGQJP7PHa5NEw04zeafGNB/8bKCrbLgopAxokBSDv5NyJ0mPSetyK7oUEfRm8KNYubSp/HCoIAvL93mDTyNGQ2r/reAHfFiMnni6jK9weKAv09DnhaNRf0c7YCelr/igUXyUzLqgsFyEZDvH3mOOf1SnRNtds5l/7WxFzI5Ytfi0vI/sQ+PoV5gTXJdHL1evjWPh8DmEhxywhLiAlyhME/q7oldhV0Y7UiOFZ9YwLKh/IK5Mu6SaEFhEBYetS2rfRgNNH32XykQjRHJkq0i6IKCUZHgQq7jfcTNKj0indgO+LBVkaPCneLvspqxsmBwfxQ94S0/fRMduu7IACxBeyJ7cuQCsTHicK9PN04AnUfdFh2fDpc/8VFfwlXS5VLFsgHA3u9sjiMdU10bvXSudm/E8SHiTRLTstfyIEEPL5O+WG1iHRQdbA5Fz5dg8YIhMt8C19JNoS/PzL5wnYP9H01FLiWvaLDO0fJCxyLlQmmxUJAHbqt9mQ0dbTBeBi85MJnx0FK8IuAShFGBcDOO2P2xTS6NLb3XjwkQYxG7cp3y6DKdUaIQYO8I7dytIr0tbbn+2HA6YYPCjKLtcqRx0lCfbys9+x06DR+dna6noA/xWVJoEu/SuaHx4M7PX74cjUSNFE2Czobf1BE8QkBi7zLMohCw/s+GTkDtYi0bvWmOVi+m4QyyJYLbgt1SPnEfX76+aB1y/RX9Ug4133iQ2sIHosTC66JbAUAv+N6SHZb9Ex1MjgYfSVCmoeayutLnUnYhcPAkfs69ri0TPTkt5y8ZYHBhwsKtsuBin7GRsFF+/d3IfSZdKA3JPujgSFGcAo1y5pKnccIQj58fbeXdPK0ZXax+uCAecWKCefLp8r1R4fC+v0MuFk1GDR09gR6XX+MBRlJTUupiwRIRAO6PeQ45vVKdE713TmaPtkEXkjmC17LSkj8hDu+g3m/9Yl0c/V8uNh+IUOZyHKLCAuGyXCE/r9puiQ2FTRktSP4WL1lgsxH8srki7kJnwWBwFZ60zattGD003fbvKaCNgcnSrRLoMoHRkUBCLuMdxK0qXSL92J75UFYBpAKd4u9imkGx0H/vA93hDT+dE327bsiQLMF7cnty48KwweHgrr823gBtR+0WbZ+Ol9/x0VAiZeLlIsVCATDeX2wOIt1TbRwNdS52/8WBIkJNMtOS14IvsP6Pkz5YLWIdFF1sfkZvl/Dx4iFS3uLXck0RLz/MPnBNg+0fjUWuJj9pQM9B8nLHEuTiaTFQAAbeqy2Y/R2dMM4GzznQmmHQgrwi78Jz0YDQMv7YnbEtLr0uLdgfCaBjkbuynfLn4pzRoYBgXwiN3H0i3S3Nuo7ZEDrhhAKMou0ypAHRsJ7fKs367TotH+2ePqgwAIFpomgi76K5MfFQzi9fThxNRJ0UnYNOh3/UoTySQHLvAswyECD+P4XOQK1iLRwNag5Wv6dxDRIlstti3PI94R7Pvj5n3XL9Fj1SjjZveSDbMgfSxKLrQlpxT5/oTpHNlu0TXUz+Bq9J4KcR5uK6wucCdaFwYCPuzl2uDRNtOZ3nvxnwcOHDEq2y4BKfMZEgUO79fchdJo0ofcnO6YBIwZxSjXLmUqcBwYCPDx795a08vRm9rQ64sB7xYtJ6AunCvOHhUL4fQr4WHUYdHY2Bnpfv45FGslNi6jLAohBw7f94njl9Up0UDXe+Zy+20RgCObLXktIyPpEOX6Beb61iXR1NX642r4jg5uIc0sHi4VJbkT8f2e6IvYU9GV1Jbha/WfCzgfzyuRLt8mcxb+AFDrRtq00YbTVN938qMI4ByhKtEufygVGQsEGe4r3EjSqNI13ZLvngVoGkUp3i7yKZwbFAf18DbeDdP60Tzbv+yTAtQXvCe4LjgrBR4UCuLzZuAD1H/Ra9kB6ob/JhUHJmAuTyxNIAoN2/a54inVNtHE11rnefxhEiok1S02LXIi8g/f+SvlfdYh0UnWz+Rv+YgPJSIYLewtcSTIEun8u+f/1z7R+9Rh4m32ngz7HyoscC5JJooV9/9l6qzZjtHc0xPgdfOmCa4dDCvBLvcnNRgEAybtg9sQ0u3S6N2K8KQGQBu/Kd8ueinFGg4G/O+B3cXSL9Li27HtmgO2GEUoyy7PKjgdEgnk8qXfq9Oj0QTa6+qNABAWnyaDLvcrjB8MDNn17eHA1EnRTtg86ID9UhPPJAku7iy9IfkO2vhV5AXWItHE1qfldfqAENciXS20Lckj1hHi+9vmeNcu0WfVL+Nv95sNuSCALEkuriWfFO/+fOkX2W3RONTW4HT0pwp4HnIrqy5rJ1IX/AE27ODa39E505/ehPGoBxUcNSrbLvwo6xkIBQXv0dyC0mrSjdyl7qEElBnKKNcuYSpoHA8I5/Hp3ljTzdGh2tjrlQH3FjInoS6YK8ceDAvY9CThXdRi0d3YIemI/kEUcCU4LqAsAyH+Ddb3geOT1SrRRNeD5nv7dhGGI50tdy0cI+AQ3Pr95fbWJdHY1QHkc/iXDnQh0CwcLg8lsRPn/ZbohthS0ZnUneF09agLPx/SK5Au2iZrFvUASOtB2rPRidNb34DyrAjnHKUq0C56KA0ZAgQQ7iXcRtKq0jzdm++nBXAaSSneLu4plRsKB+zwMN4K0/zRQtvI7JwC3BfBJ7kuNSv+HQsK2fNf4ADUgNFx2Qnqj/8uFQ0mYS5MLEYgAQ3S9rLiJdU30cnXYueC/GkSMCTXLTQtayLpD9b5JOV51iHRTtbX5Hj5kA8rIhot6i1rJMAS4Pyz5/rXPdH/1GjidvanDAEgLSxuLkQmghXu/1zqp9mN0eDTGuB+868JtR0QK8Au8ictGPoCHu192w7S8NLv3ZPwrQZIG8Qp3y51Kb0aBQbz73vdwtIx0ujbue2kA74YSijLLswqMR0JCdvyn9+n06TRCdrz6pYAGBalJoQu8yuFHwMM0PXl4b3UStFT2EToif1bE9UkCy7rLLYh8A7R+E3kAdYi0cnWr+V++ogQ3iJfLbItwyPNEdn70+Zz1y7Ra9U343n3pA3AIIMsRy6pJZYU5v506RHZbNE71N3gffSxCn8edSuqLmYnSRfzAS3s2trd0TvTpt6N8bIHHRw5Ktou+CjjGf8E/O7L3IDSbNKT3K3uqgScGc4o2C5dKmEcBQje8eLeVdPO0aba4eueAQAXOCeiLpUrvx4DC8/0HeFa1GPR4tgp6ZH+ShR2JTounSz9IPUNzPd644/VKtFJ14vmhPt+EYwjny10LRYj2BDS+vbl8dYk0dzVCeR9+KAOeyHTLBsuCSWoE979juiB2FHRnNSl4X31sQtGH9Urjy7UJmMW6wA/6zvasdGM02LfifK2CO4cqSrQLnUoBhn4AwjuH9xE0qzSQt2k77EFeBpOKd4u6imNGwEH4/Ap3gjT/tFI29DspgLkF8Ynui4xK/YdAgrQ81ng/NOC0XbZEeqZ/zcVEiZiLkksPyD4DMn2quIh1TjRztdq54v8chI2JNktMS1lIuAPzPkc5XXWIdFS1t7kgvmZDzIiHS3oLWUktxLX/Kvn9dc90QPVcOJ/9rAMCCAwLG0uPiZ6FeT/VOqh2YvR49Mh4IfzuAm8HRMrwC7tJyUY8QIV7XfbDdLz0vXdnPC2BlAbyCnfLnEpthr8Bervdd3A0jPS7tvC7a0DxhhPKMwuyCoqHQAJ0fKY36TTptEP2vzqoAAhFqomhi7wK34f+gvH9d7hudRL0VjYTeiT/WMT2yQNLugssCHnDsf4ReT91SPRzda35Yf6kRDkImItsC29I8QR0PvL5m7XLdFv1T7jgvetDccghixGLqMljhTc/mvpDNlr0T/U5eCG9LoKhh55K6kuYSdBF+kBJezU2tvRPtOt3pbxuwclHD0q2i7zKNsZ9QT07sTcftJu0pnctu60BKQZ0yjYLlkqWRz8B9Xx295S09DRrNrp66gBCBc9J6MukSu4HvoKxvQW4VbUZNHo2DLpmv5SFHwlOy6aLPYg7A3D93Lji9Ur0U7Xk+aO+4cRkiOhLXItECPPEMn67uXt1iTR4NUQ5Ib4qA6CIdUsGS4EJZ8T1f2G6HzYUdGg1KzhhvW6C00f2SuNLs8mWxbiADfrNtqw0Y/TaN+S8r8I9hytKs8ucCj+GO8D/+0Z3EHSr9JI3a3vugV/GlIp3i7mKYUb+Aba8CPeBdMA0k7b2eyvAuwXyye7Li0r7x35CcbzUuD504PRfNka6qL/PxUYJmQuRiw4IO8MwPaj4h3VONHT13Lnlfx7Ejwk2y0vLV8i1w/D+RTlcNYh0VbW5uSL+aIPOCIgLeYtXySvEs38o+fw1zzRB9V34oj2uQwPIDMsbC45JnEV2/9M6pzZitHm0yjgkPPCCcQdFyu/LugnHRjoAgztcdsL0vXS/N2l8MAGVxvMKd8ubSmuGvIF4u9u3b3SNdL028vttgPOGFQozC7EKiId9gjI8pHfodOn0RTaBOupACkWryaHLu0rdx/xC7711+G21EzRXdhV6Jz9bBPhJA4u5iypId4Ovvg+5PnVI9HS1r/lkfqaEOoiZC2uLbcjuxHG+8Pmatct0XPVRuOL97YNziCILEQuniWFFNP+Y+kH2WrRQtTs4I/0wwqOHnwrqC5cJzkX4AEc7M7a2tFB07Pen/HEBywcQSraLu8o0xnsBOvuvtx80nDSn9y/7r0ErBnYKNguVSpSHPMHzPHV3k/T0tGy2vLrsQEQF0InpC6OK7Ee8Qq99A/hU9Rl0e3YOumk/lsUgSU9Lpcs7yDjDbr3a+OH1SvRUteb5pf7kBGYI6MtcC0KI8YQwPrm5ejWJNHk1Rjkj/ixDogh2CwXLv4klxPL/X3od9hQ0aTUs+GQ9cMLVB/cK4wuyiZSFtgAL+sw2q7RktNv35vyyAj9HLEqzy5sKPYY5QP27RPcP9Kx0k/dte/DBYcaVynfLuEpfhvuBtHwHN4C0wLSVNvh7LkC9BfQJ7suKivoHfAJvfNL4PbThNGB2SLqrP9HFR0mZS5DLDIg5gy29pziGtU50djXeuee/IMSQiTdLSwtWCLPD7r5DOVs1iHRW9bu5JT5qw8+IiIt5C1ZJKYSxPyb5+vXO9EK1X7ikvbCDBYgNyxqLjMmaRXR/0PqltmJ0enTL+CZ88sJyx0bK74u4ycVGN4CBO1r2wnS+NIC3q7wyQZfG9Ap3y5oKaYa6QXZ72jdu9I30vrb0+3AA9YYWCjNLsAqGx3tCL/yit+e06nRGtoN67MAMRa1Jogu6StwH+gLtPXQ4bLUTNFi2F3opv11E+ckEC7jLKIh1Q61+Dbk9dUj0dbWx+Wa+qMQ8SJmLawtsSOzEb37u+Zl1y3Rd9VN45X3vw3UIIssQy6YJX0Uyv5b6QLZadFF1PPgmPTMCpUegCuoLlYnMRfXARTsydrY0UTTut6o8c4HNBxFKtou6ijMGeME4u643HnSc9Kl3MjuxwS0Gdwo2S5RKkoc6gfD8c7eTNPT0bfa+uu6ARgXRyelLoorqh7oCrT0COFQ1GbR8thC6a3+YxSHJT4ulCzpINoNsPdj44PVK9FX16PmofuYEZ4jpS1tLQMjvRC2+t7l5NYk0ejVH+SZ+LoOjyHbLBUu+CSOE8L9dehy2E/Rp9S64Zn1zAtbH98riy7EJkoWzwAm6yvardGV03bfpPLRCAUdtCrOLmco7hjcA+3tDdw90rTSVd2+780FjxpbKd8u3Sl2G+UGyfAW3gDTA9Ja2+rswgL8F9UnvC4mK+Ed5gm080Tg89OF0YbZKuq1/1AVIyZmLkAsKyDdDK32lOIW1TnR3deD56j8jBJIJN4tKi1SIsYPsPkF5WjWIdFf1vXknvm0D0UiJS3iLVMknRK6/JPn59c70Q7VhuKb9ssMHSA6LGkuLiZhFcj/O+qR2YjR7NM24KLz1AnSHR8rvS7eJw0Y1QL77GXbB9L60gnet/DSBmcb1SnfLmQpnhrfBdDvYt250jnSANzc7ckD3hhdKM0uvCoTHeQItvKD35vTqtEf2hXrvAA5FromiS7mK2kf3wur9cnhrtRN0WjYZeiv/X0T7CQSLuAsnCHMDqv4L+Tw1SPR29bP5aP6rBD3Imktqi2qI6oRs/uz5mDXLNF71VXjnvfIDdsgjixBLpIldBTA/lPp/Nho0UnU+uCh9NUKnB6DK6cuUScpF80BC+zD2tbRR9PB3rHx1wc7HEkq2S7lKMQZ2QTZ7rLcd9J10qzc0e7QBLwZ4SjZLk0qQxzgB7rxx95J09XRvdoD7MQBIBdMJ6YuhyujHt8KqvQB4UzUZ9H32Erpt/5sFI0lQC6RLOIg0Q2n91zjf9Us0VzXq+aq+6ERpCOnLWst/SK0EK361uXf1iPR7NUn5KL4ww6VId4sFC7yJIYTuP1t6G3YTtGr1MHhovXVC2If4yuKLr8mQhbFAB7rJdqs0ZjTfd+t8tsIDB24Ks4uYijmGNMD5e0G3DvSttJb3cfv1gWXGl8p3y7ZKW4b3AbA8A/e/dIF0mDb8+zLAgUY2ie9LiIr2R3dCavzPeDw04bRjNkz6r//WBUoJmguPSwkINQMpPaN4hLVOtHi14vnsfyVEk4k4C0nLUsivQ+n+f3kY9Yg0WPW/eSn+b0PSyInLeAtTiSVErH8i+fi1zrREtWN4qT21AwkID0saC4oJlgVv/8z6ozZhtHw0z3gq/PdCdkdIiu9LtonBRjLAvPsYNsF0v3SD97A8NwGbhvZKd8uXymXGtYFx+9b3bbSO9IG3OXt0wPmGGIozi64Kgwd2wit8n3fmNOs0SXaHuvFAEIWvyaKLuMrYh/VC6L1weGr1E7Rbdht6Lj9hhPyJBQu3iyVIcMOovgn5OzVI9Hf1tblrfq0EP0iay2nLaQjoRGq+6vmXNcs0X/VXOOn99EN4iCRLEAujSVsFLf+Sun32GfRTNQB4ar03wqjHocrpi5MJyAXxAED7L3a1dFJ08feuvHgB0McTSrZLuEovBnQBNHurNx10nfSstzZ7tkExBnlKNkuSSo7HNcHsfHB3kfT1tHD2gvszQEpF1Enpy6DK5we1Qqh9PrgSdRo0fzYU+nA/nQUkiVBLo4s2yDIDZ73VeN71SzRYNez5rP7qhGqI6otaS33IqwQo/rP5dvWI9Hw1S/kq/jMDpwh4CwSLuwkfROv/WXoaNhN0a7UyeGr9d8LaR/mK4kuuiY5FrwAFesf2qrRm9OD37by5AgTHbwqzS5dKN4YyQPc7QDcOdK50mLd0O/fBZ4aZCnfLtUpZxvSBrfwCd760gfSZdv77NUCDRjeJ70uHyvSHdQJovM24OzTiNGR2TvqyP9hFS4maS46LB0gywyb9obiDtU70efXk+e6/J0SUyTiLSUtRSK0D5759eRf1iHRaNYF5bD5xg9SIiot3i1IJIwSqPyD593XOdEW1ZTirfbdDCsgQCxmLiMmUBW1/yrqhtmF0fPTROC08+YJ4R0mK7wu1Sf8F8IC6uxa2wPSANMW3snw5QZ2G90p3y5bKY8azQW+71XdtNI90g3c7e3cA+4YZyjOLrQqBR3RCKTydt+V063RK9om688AShbEJosu3ytbH8wLmfW64afUT9Fy2HXowv2OE/gkFS7bLI8hug6Z+B/k6NUk0eTW3uW2+r0QAyNtLaUtniOYEaH7o+ZX1yvRg9Vj47D32g3pIJQsPi6HJWMUrf5C6fLYZtFQ1AjhtPToCqoeiiulLkcnGBe6Afrrt9rT0UzTzt7D8eoHShxRKtku3Ci0GccEyO6l3HPSedK43OLu4wTMGeoo2i5FKjQczgeo8breRNPY0cnaFOzXATEXVieoLoArlR7MCpj08+BF1GnRAtlb6cr+fRSYJUMuiyzUIL8NlfdN43fVLdFl17vmvfuzEbEjrC1mLfEioxCa+sfl1tYj0fXVNuS1+NUOoiHjLBAu5yR1E6b9Xehi2EzRstTQ4bT16AtwH+kriC61JjEWswAN6xraqdGe04rfv/LtCBsdwCrNLlgo1hjAA9Pt+ts30rvSaN3Z7+kFphpoKd8u0ClfG8kGrvAC3vjSCdJr2wTt3gIVGOMnvi4bK8sdywmZ8y/g6dOJ0ZbZQ+rR/2kVMyZqLjcsFiDCDJL2fuIK1TvR69eb58T8phJZJOQtIi0+IqsPlPnu5FvWIdFs1gzluvnPD1giLC3dLUIkgxKe/Hrn2Nc50RrVnOK29uYMMiBDLGUuHSZHFaz/IuqB2YTR9tNL4L3z8AnoHSoruy7QJ/QXuQLh7FTbAtIC0xze0fDuBn4b4SnfLlcphxrDBbXvT92x0j/SE9z27eUD9hhsKM8usSr9HMgIm/Jv35LTrtEw2i/r2ABSFsomjC7cK1QfwwuQ9bPhpNRQ0XfYfejL/ZcT/iQXLtgsiCGxDo/4GOTk1STR6Nbm5cD6xhAKI3Atoy2YI5ARl/ub5lLXK9GH1WvjuvfjDe8glyw9LoElWxSk/jrp7dhl0VPUD+G99PEKsR6OK6QuQicQF7EB8uuy2tLRT9PV3szx8wdSHFUq2C7YKKwZvQS/7p/ccNJ80r7c6+7sBNMZ7yjaLkEqLBzEB5/xs95B09rRztoc7OABORdcJ6gufCuOHsMKj/Ts4ELUatEH2WPp0/6FFJ4lRC6ILM4gtg2L90bjc9Ut0WrXw+bG+7sRtyOuLWQt6iKaEJH6v+XS1iPR+dU+5L743g6pIeYsDi7hJGwTnP1V6F3YTNG21NfhvvXxC3cf7SuHLq8mKRapAATrFNqn0aHTkd/I8vYIIh3EKswuVCjOGLYDy+302zXSvdJu3eLv8gWuGm0p3y7MKVcbwAal8Pzd9dIL0nHbDO3oAh0Y6Ce/LhcrxB3CCZDzKODm04rRnNlM6tv/cRU5JmwuMywPILkMiPZ34gfVPNHw16PnzfyvEl8k5i0gLTgiog+L+ebkVtYh0XDWFOXD+dcPXyIvLdstPCR7EpX8cufT1zjRHdWj4sD27ww4IEYsZC4YJj8Vov8a6nzZg9H501LgxvP5Ce8dLSu7Lssn7BevAtnsTtsA0gXTI97a8PgGhRvmKd4uUil/GroFre9I3a/SQdIZ3P/t7wP+GHAozy6tKvYcvwiS8mjfj9Ow0TbaN+viAFsWzyaNLtkrTR+6C4b1rOGg1FHRfNiG6NX9nxMEJRku1SyCIagOhvgQ5ODVJNHt1u7lyfrPEBAjci2hLZIjhxGO+5PmTtcr0YvVcuPD9+wN9iCaLDsufCVSFJr+Muno2GTRVtQW4cb0+gq4HpEroy49JwgXqAHp66za0NFS09ve1fH8B1kcWSrYLtMopBm0BLbumdxu0n7SxNz07vUE2xnzKNouPSolHLsHlvGt3j7T29HU2iXs6QFBF2EnqS55K4YeugqG9OXgP9Rr0QzZa+nc/o4UoyVGLoYsxyCtDYL3PuNv1S3RbtfL5tD7xBG9I7AtYi3kIpEQh/q35c3WI9H91UXkx/jnDrAh6CwNLtskYxOT/U3oWNhL0bnU3uHH9foLfh/wK4YuqiYhFqAA/OoP2qbRpNOY39HyAAkqHcgqzC5PKMYYrQPC7e7bM9LA0nXd6u/8BbYacSnfLsgpUBu2Bpzw9d3z0g3Sd9sV7fECJRjtJ8AuEyu8HbgJh/Mh4OPTi9Gh2VTq5P96FT4mbS4wLAggsAx/9nDiA9U90fXXq+fX/LcSZSToLR0tMiKZD4L53uRS1iHRddYc5cz54A9lIjEt2S02JHISi/xq587XONEh1ariyfb4DD8gSSxiLhImNxWZ/xHqdtmC0fzTWeDQ8wIK9h0xK7ouxifkF6YC0OxI2/7RCNMp3uPwAQeNG+op3i5OKXgasQWk70LdrNJE0h/cCO74AwYZdSjQLqkq7hy2CInyYt+M07HRO9o/6+sAYxbUJo8u1StGH7ELffWl4ZzUUdGB2I7o3v2oEwklGy7TLHshoA59+Ank3NUk0fHW9uXS+tgQFiN0LZ8tjCN+EYT7i+ZJ1yrRj9V648z39Q39IJ0sOi52JUoUkf4p6eLYY9Fa1B3hz/QDC78elSuiLjgnABeeAeHrptrO0VXT4t7e8QUIYRxdKtguziicGaoEre6T3GzSgNLL3Pzu/wTjGfgo2i45Kh0csgeN8abeO9Pd0draLezzAUkXZieqLnUrfx6xCn303eA71GzREdl06eb+lhSpJUcugyzAIKQNefc342vVLtFz19Pm2fvNEcMjsi1fLd4iiBB++q/lydYi0QHWTeTR+PAOtiHrLAsu1SRbE4n9ROhT2ErRvdTl4dD1AwyFH/MrhC6lJhgWlgDz6gnapNGn05/f2/IJCTEdzCrLLkoovhikA7nt6Nsx0sLSe93z7wUGvRp1Kd8uxClIG60Gk/Dv3fDSDtJ92x7t+gItGPInwC4QK7Udrwl+8xrg4NON0afZXOru/4IVRCZuLi0sASCnDHb2aOL/1D3R+tez5+D8wBJrJOotGi0rIpAPePnX5E7WIdF51iTl1vnpD2siNC3XLTAkaRKC/GLnydc30SXVsuLS9gENRiBMLGEuDSYuFY//Cepx2YDRANRf4NnzCwr+HTUruS7BJ9wXnALI7ELb/NEK0zDe7PAKB5Ub7ineLkkpcBqnBZvvPN2q0kbSJdwQ7gIEDRl6KNAupSrnHKwIgPJb34nTs9FB2kjr9QBrFtomkC7SKz8fqAt09Z3hmdRS0YbYlujn/bETDyUcLtAsdCGXDnP4AeTY1SXR9tb95dz64BAcI3ctnS2GI3YRe/uD5kTXKtGT1YHj1vf+DQMhoCw4LnAlQRSI/iHp3dhi0V3UJOHY9AwLxx6YK6EuMif3FpUB2Ouh2s3RWNPp3ufxDwhoHGEq1y7KKJQZoQSl7o3catKC0tHcBe8IBesZ/CjbLjUqFRyoB4Txtd5y0zfSP9t17PUB6RahJp4tXCqiHVYK1PTu4dzVStO+2n/q/P6XE7QjvSvxKcMewQz+9yHlYtiT1ILazug3/F0QviC0KUgpnh/uDv/6Suj+2g7Widpg56j5QA3GHYknZSg1INwQ0/1j66rdttfP2jbmUvdFCtAaQiVOJ4ogiBJ2AGbuYeCF2VDbT+U39XAH4xfkIgUmniD0E+YCT/Ec43bbC9yq5FnzxQQEFXQgjyR1IB8VIQUZ9Nblhd353EXkufFHAjcS+R3zIhIgCRYkB8D2ieir3xjeHuRW8Pr/gg94GzQhdx+0Fu0IQPkx6+PhY98z5DLv3/3qDPYYVx+qHiIXewqW+8jtKOTV4IDkS+75+3IKeRZjHa0dUxfPC779SvB05mjiA+Wh7Un6HggHFFwbhRxLF+YMtv+x8sLoGeS45TPt0vjyBaMRSBk3GwsXwg17Afr0DOvi5Zvm/+yU9/IDUw8tF8cZmBZkDgwDIfdN7b7nqOcC7Y/2HwIbDQ4VOhj0FcwOZwQi+YDvp+na6Dztw/V9AAAL8xKVFiMV/A6MBfn6ovGY6y7qp+0w9Q7/BgnfEN4UKRT1DnoGpfys843tnutC7tX00v0wB9gOGRMKE7sOMAci/pr1f+8m7QnvsPTK/IEF4gxMEcoRUA6vB2//avdq8cDu+O+/9Pj7/QMDC3sPbxC2DfgHiAAW+UnzaPAL8QL1XPumAj4JrA39DvEMDAhvAZz6GPUY8j7ydPX2+n4BlwfkC3gNBgztByIC+fvR9szzjPMT9sT6iAASBicK5gv3CpwHoAIq/XD4fvXx9N32xvrE/7IEewhMCskJHAfqAi3+8vkp92f2zPf7+jL/fAPkBq8IgQhxBgED//5S+8j46/fe+F/71P5wAmYFFAciB5wF5AKh/438WPp2+Q/68vup/pIBBgR/BbIFoQSWAg8AoP3S+wT7Wfuw/LL+4wDHAvYDNgSFAxkCSwCJ/jP9kfy5/Jf97P5lAKwBfQKxAksCbQFUAET/d/4W/ir+ov5Y/xkAugAZASsB9wCXACsA0P+a/4//p//P//P/", "mime": "audio/wav", "name": "genbot.wav"}]}	\N	\N	1017	t	c7e2740fe62f	2026-12-04 18:13:22.888789+00	2026-12-04 18:13:22.958686+00	1	\N	vm:12908	\N	ru	\N	[{"kind": "document", "file_id": "document-1021"}]
4	1001	1001	demo-image-hd	image	demo	{"prompt": "портрет «в шляпе»"}	15.00	f	1	1001:e4c8a16544a6	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:13:22.930151+00	2026-12-04 18:13:22.930151+00	2026-12-04 18:13:52.930151+00	2026-12-04 18:13:22.987499+00	\N	{"kind": "image", "text": null, "urls": [], "files": [{"b64": "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAACJElEQVR42tXPh25SARQG4PNAGkccccQaRxxxRI3VOOKIGkdKKy1tsVC7aCmbsqGMwmVcxmVcRoG2QBml1IfyvMb/Bt9H/wRhFBOOY8IwKgyi8f5OvLcT70YSnUiiHUm0wsmDcHIvlGyGUo1gqh5M1YJidVusbItyQCwF0kV/uuBPS/5MzpfJ+jIZb1b0ZlOebNKTS3hygjsXc0tRlxRxSWGnFHLmg858wJH3Owq+rYJ3q+C2F132otNedNhKdlvJZi1ZrbLZIpssstEiG8xlvbm8YSqvmyo6Y2XVWFkxVpcN1SVDdXGzpt2safQ1gtYv6HcJWq/mALR+fmOXoPVzHIDWq9brBK2f4QC0flpXJ2i9UtcgaP0UB6D1k2sNgtYr1poErZ9YbRK0/hcHoPU/V/YIWv+DA9D67xyA1n9b3ido/VcOQOu/LO0TtP4zB6D1n/4eELT+Iweg9R84AK1/v9giaP07DkDr32pbBK1/o20TtP61pk3Q+lccgNaPazoErX+50CFo/QsOQOuf/zkkaP0zDkDrn6oPCVr/hAPQ+sfqLkHrH813CVr/kAPQ+gdzPYLW3+cAtP7ebI+g9Xdn+wStv8MBaP1tVZ+g9bdUA4LW35wZELR+jAPQ+hvTRwStv84BaP01DkDrryqPCFp/RTkkaP3l30OC1l/iALT+4tQxQesvcABaf54D0PpzkyOC1p/lALT+jGJE0PrTihOC1p+aOPkPefO4UjFBWpsAAAAASUVORK5CYII=", "mime": "image/png", "name": "genbot.png"}]}	\N	\N	1	t	f89d361f4c65	2026-12-04 18:13:22.917364+00	2026-12-04 18:13:22.987499+00	1	\N	vm:12908	\N	ru	\N	[{"kind": "photo", "file_id": "photo-1029"}]
5	1001	1001	demo-image-hd	image	demo	{"prompt": "!fail пейзаж"}	15.00	f	2	1001:af366c465863	failed	30	1	vm:12908:1bf4b3	2026-12-04 18:13:23.894857+00	2026-12-04 18:13:23.894857+00	2026-12-04 18:13:53.894857+00	2026-12-04 18:13:23.896127+00	\N	\N	demo_fail	the demo provider failed on purpose (!fail in the prompt)	1	t	20c5d54d6a85	2026-12-04 18:13:22.943717+00	2026-12-04 18:13:23.896127+00	1	\N	vm:12908	\N	ru	failed	\N
7	1002	1002	demo-video	video	demo	{"prompt": "закат над морем"}	0.00	t	\N	1002:99ada513d918	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:13:25.953166+00	2026-12-04 18:13:25.919105+00	2026-12-04 18:13:55.919105+00	2026-12-04 18:13:25.979382+00	\N	{"kind": "animation", "text": null, "urls": [], "files": [{"b64": "R0lGODlhIAAgAPYAAHaOAMFJAi/CBI7pBjy8COYACjN3DI7XDkmREMIiEumDFLxdFgD9GHfiGtemHJHlHiJQIIM5Il1kJP2SJuIAKKZ+KuW0LFAwLjmLMGR2MpLBNAAvNn6OOLQ8OjDmPIszPnaOQMFJQi/CRI7pRjy8SOYASjN3TI7XTkmRUMIiUumDVLxdVgD9WHfiWtemXJHlXiJQYIM5Yl1kZP2SZuIAaKZ+auW0bFAwbjmLcGR2cpLBdAAvdn6OeLQ8ejDmfIszfnaOgMFJgi/ChI7phjy8iOYAijN3jI7XjkmRkMIikumDlLxdlgD9mHfimtemnJHlniJQoIM5ol1kpP2SpuIAqKZ+quW0rFAwrjmLsGR2spLBtAAvtn6OuLQ8ujDmvIszvnaOwMFJwi/CxI7pxjy8yOYAyjN3zI7XzkmR0MIi0umD1Lxd1gD92Hfi2tem3JHl3iJQ4IM54l1k5P2S5uIA6KZ+6uW07FAw7jmL8GR28pLB9AAv9n6O+LQ8+jDm/Isz/iH/C05FVFNDQVBFMi4wAwEAAAAh+QQAFAAAACwAAAAAIAAgAAAH/4AAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyCAISIEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIwUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEigP8jJCUmCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKAoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpCwwNDg8QERITFBUWFxgZGhscHR4fICEiIySAJSYnKCkqDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKisNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLA4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtDxAREhMUFRYXGBkaGxwdHh8gISIjJCUmgCf/KCkqKywtLhAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzASExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMRMUFRYXGBkaGxwdHh8gISIjJCUmJyiAKSorLC0uLzAxMhQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NRcYGRobHB0eHyAhIiMkJSYnKCkqgCss/y0uLzAxMjM0NTYYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2NxkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4GhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODkbHB0eHyAhIiMkJSYnKCkqKyyALS4vMDEyMzQ1Njc4OTocHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ox0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8Hh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0fICEiIyQlJicoKSorLC0ugC8wMQ4yMzQ1Njc4OTo7PD0+gQAh+QQAFAAAACwAAAAAIAAgAAAH/4AICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJwkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJyiAKSoMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKw0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqgP8rLC0uEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8REhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMBITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKyyALS4vMDEyFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjMVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNBYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1FxgZGhscHR4fICEiIyQlJicoKSorLC0ugC//MDEyMzQ1NhgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3GRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2NzgaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4ORscHR4fICEiIyQlJicoKSorLC0uLzCAMTIzNDU2Nzg5OhwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7HR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6OzweHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PR8gISIjJCUmJygpKissLS4vMDEygDM0/zU2Nzg5Ojs8PT4gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+PyEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEEjJCUmJygpKissLS4vMDEyMzSANTY3ODk6Ozw9Pj9AQUIkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQyUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNEJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREUnKCkqKywtLi8wMTIzNDU2gDc4OQ46Ozw9Pj9AQUJDREVGgQAh+QQAFAAAACwAAAAAIAAgAAAH/4AQERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLxESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wEhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDETFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzCAMTIUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMxUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0FhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDUXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEygP8zNDU2GBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1NjcZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3OBobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5GxwdHh8gISIjJCUmJygpKissLS4vMDEyMzSANTY3ODk6HB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5OjsdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PB4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2gDf/ODk6Ozw9PiAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0AiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQSMkJSYnKCkqKywtLi8wMTIzNDU2NziAOTo7PD0+P0BBQiQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0QmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERScoKSorLC0uLzAxMjM0NTY3ODk6gDs8/z0+P0BBQkNERUYoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGRykqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdIKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSEkrLC0uLzAxMjM0NTY3ODk6OzyAPT4/QEFCQ0RFRkdISUosLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKSy0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE0vMDEyMzQ1Njc4OTo7PD0+gD9AQQ5CQ0RFRkdISUpLTE1OgQAh+QQAFAAAACwAAAAAIAAgAAAH/4AYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2NxkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4GhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODkbHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2NziAOTocHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ox0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8Hh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6gP87PD0+ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8hIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QCIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6OzyAPT4/QEFCJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkMlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDRCYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+gD//QEFCQ0RFRigpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0gqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISSssLS4vMDEyMzQ1Njc4OTo7PD0+P0CAQUJDREVGR0hJSiwtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0wuLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTS8wMTIzNDU2Nzg5Ojs8PT4/QEFCgENE/0VGR0hJSktMTU4wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OTzEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFEzNDU2Nzg5Ojs8PT4/QEFCQ0SARUZHSElKS0xNTk9QUVI0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSUzU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUNjc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFU3ODk6Ozw9Pj9AQUJDREVGgEdISQ5KS0xNTk9QUVJTVFVWgQAh+QQAFAAAACwAAAAAIAAgAAAH/4AgISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+PyEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEEjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0CAQUIkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQyUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNEJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREUnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCgP9DREVGKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkcpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSCorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0SARUZHSElKLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSkstLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTC4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGgEf/SElKS0xNTjAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1AyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUTM0NTY3ODk6Ozw9Pj9AQUJDREVGR0iASUpLTE1OT1BRUjQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTNTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1Q2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVTc4OTo7PD0+P0BBQkNERUZHSElKgEtM/01OT1BRUlNUVVY4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWVzk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYOjs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFk7PD0+P0BBQkNERUZHSElKS0yATU5PUFFSU1RVVldYWVo8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaWz0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcPj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF0/QEFCQ0RFRkdISUpLTE1OgE9QUQ5SU1RVVldYWVpbXF1egQAh+QQAFAAAACwAAAAAIAAgAAAH/4AoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGRykqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdIKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSEkrLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0iASUosLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKSy0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE0vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKgP9LTE1OMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk8xMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUDIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0yATU5PUFFSNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlM1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVDY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVNzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OgE//UFFSU1RVVjg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1g6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWTs8PT4/QEFCQ0RFRkdISUpLTE1OT1CAUVJTVFVWV1hZWjw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbPT4/QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1w+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXT9AQUJDREVGR0hJSktMTU5PUFFSgFNU/1VWV1hZWltcXV5AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX0FCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFDREVGR0hJSktMTU5PUFFSU1SAVVZXWFlaW1xdXl9gYWJERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY0VGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVHSElKS0xNTk9QUVJTVFVWgFdYWQ5aW1xdXl9gYWJjZGVmgQA7", "mime": "image/gif", "name": "genbot.gif"}]}	\N	\N	1028	t	85da0ec0be7e	2026-12-04 18:13:23.961866+00	2026-12-04 18:13:25.979382+00	1	\N	vm:12908	\N	ru	\N	[{"kind": "animation", "file_id": "animation-1034"}]
6	1003	1003	demo-text-pro	text	demo	{"tone": "деловой", "prompt": "!slow очень длинная история"}	5.00	f	3	1003:6d041a45c85c	timeout	30	1	vm:12908:1bf4b3	2026-12-04 18:13:54.948725+00	2026-12-04 18:13:24.911007+00	2026-12-04 18:13:54.911007+00	2026-12-04 18:13:54.958852+00	\N	\N	timeout	the provider did not finish in time	1	t	4ab7aaca27bf	2026-12-04 18:13:23.933735+00	2026-12-04 18:13:54.958852+00	1	\N	vm:12908	\N	ru	\N	\N
8	1006	1006	demo-image	image	demo	{"prompt": "горы", "aspect_ratio": "1:1"}	0.00	t	\N	1006:30f94975f319	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:14:01.105391+00	2026-12-04 18:14:01.105391+00	2026-12-04 18:14:31.105391+00	2026-12-04 18:14:01.15724+00	\N	{"kind": "image", "text": null, "urls": [], "files": [{"b64": "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAB3ElEQVR42tXPh1qIcRiG8edssvde2XtkJbIJkcjOipxI9t57ryQhkoSQuHEa3v/3HcVzXfcB/G5R8I+Cv3T7Q/cIekDP3/SKftG7iz5d9P2Z6tdJ/04G/EgN/M6gb6nBHQzpYOjX1LAvDP/MiKidke2M+sToqI0xbRR+pLCVsa2M+8D4qIUJLUx8z6R3qcnNTGlm6tvUtDdMj14zo4mZTcx6lZrdyJxGil5S1MDcBua9YH5Uz4J6Fj6XtZ7iGHDWU/xM1noWPZW1npIYcNZT8kTWehbHgLOeJY9lrac0Bpz1lD6StZ6lD2WtZ1k+YKtn+QNZ67MBZz0r7staz8p8wFbPqnuy1mcDznpW35W1njV3ZK3PBpz1rL0taz1l+YCtnnW3ZK3PBpz1rL8paz0bbshaT3kMOOspvy5rPRtjwFnPpmuy1lMRA856Kq7KWs/mNGCsp/KKrPVUXpa1ni0x4Kxn6yVZ66mKAWc9VRdlrWdbDDjr2X5B1np2nJe1Phtw1rPznKz17MoHbPXsPitrfTbgrGfPGVnrqY4BZz3Vp2WtZ+8pWevZlw/Y6tl/Utb6bMBZz4ETstZzMA0Y66k5Lms9NcdkredQDDjrOXxU1npqY8BZT22drPUcqfsPNCu/siLFzE8AAAAASUVORK5CYII=", "mime": "image/png", "name": "genbot.png"}]}	\N	\N	1	t	ed4a554d5192	2026-12-04 18:14:01.0997+00	2026-12-04 18:14:01.15724+00	1	\N	vm:12908	\N	ru	\N	[{"kind": "photo", "file_id": "photo-1060"}]
9	1006	1006	demo-image	image	demo	{"prompt": "озеро", "aspect_ratio": "1:1"}	0.00	t	\N	1006:10c3d934a563	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:14:06.118929+00	2026-12-04 18:14:06.118929+00	2026-12-04 18:14:36.118929+00	2026-12-04 18:14:06.174584+00	\N	{"kind": "image", "text": null, "urls": [], "files": [{"b64": "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAABzUlEQVR42tXPV1bbABBG4dn/Kwkt4IqxwbKsbjXLqracDiS09ATSqUneMyOt4j/nLuC79G+p/C2VP6Vyv5Du5qPbqptidF2o17l6lau/M+lXNv6ZSj+S8fdE+xZLX2PtcsbpF5H+perz1PjEhcbH0PgQmNz7wHznm285z3rjWeeudObapxPpxLGPJee17bziLOfImhyak4Oql4b7gtPd57r7TOO8p5r3ZCw9Vv2l6hO0Xgag9eXIJ2j9oh7A1c+VgKD1MgCtL4bVAK4+5wFofT4MCVqf7fMAsj7lAWh9uhcStD6pB3D18WBK0HoZgNbP6gFcfdSfErQ+6kcErZ/uRgStD+sBXH3QiwhaH/RmBK33qwFgvbczI2i9DEDr3W41gKufdGOC1ssAtN7p8ACy3uYBaL3dTghab9UDuHqzlRC0Xgag9QYPQOv1ZkrQeo0HoPVaIyVo/bgewNWr2xlB62UAWj+qB3D1ylZG0HplKydo/fCRDADr93kAWi8D0Pq9TR5A1g82C4LWDzYKgtb3eQBav7teDeDqe+tzgtbLALR+Z40HkPVdHoDWd1fnBK3vrC4IWt9+uCBovQxA61v1AK6++aAkaL0MQOsbK+V/WSQQ0B11PhgAAAAASUVORK5CYII=", "mime": "image/png", "name": "genbot.png"}]}	\N	\N	1	t	11d038972817	2026-12-04 18:14:06.103807+00	2026-12-04 18:14:06.174584+00	1	\N	vm:12908	\N	ru	\N	[{"kind": "photo", "file_id": "photo-1066"}]
10	1006	1006	demo-text	text	demo	{"prompt": "подпись к фото"}	0.00	t	\N	1006:a9627635504a	succeeded	30	1	vm:12908:1bf4b3	2026-12-04 18:14:11.101283+00	2026-12-04 18:14:11.101283+00	2026-12-04 18:14:41.101283+00	2026-12-04 18:14:11.153343+00	\N	{"kind": "text", "text": "«подпись к фото»\\n\\nРезультат легко проверить на практике. Результат легко проверить на практике. Хорошая история всегда начинается с вопроса.", "urls": [], "files": []}	\N	\N	1070	t	389ab16316e6	2026-12-04 18:14:11.096301+00	2026-12-04 18:14:11.153343+00	1	\N	vm:12908	\N	ru	\N	\N
11	1001	1001	demo-image-hd	image	demo	{"prompt": "передумала"}	15.00	f	4	1001:ee07f5933bf8	cancelled	30	0	\N	\N	\N	\N	2026-12-04 18:14:14.200433+00	\N	\N	cancelled	\N	1	t	9df2fbf13e25	2026-12-04 18:14:14.182847+00	2026-12-04 18:14:14.200433+00	1	\N	vm:12908	\N	ru	\N	\N
12	1005	1005	demo-text-pro	text	demo	{"tone": "деловой", "prompt": "вопрос о погоде"}	5.00	f	5	1005:b8755242bd89	running	30	1	vm:12908:previous-release-worker	2026-12-04 18:14:14.240763+00	2026-12-04 18:14:14.240763+00	2026-12-04 18:14:44.240763+00	\N	\N	\N	\N	\N	1	f	5466e489510a	2026-12-04 18:14:14.223424+00	2026-12-04 18:14:14.240763+00	0	\N	\N	\N	ru	\N	\N
13	1003	1003	demo-image-hd	image	demo	{"prompt": "рассвет в горах"}	15.00	f	6	1003:af6750ad9ddb	queued	30	0	\N	\N	\N	\N	\N	\N	\N	\N	\N	1	f	c7123d3bd87e	2026-12-04 18:14:14.271419+00	2026-12-04 18:14:14.271419+00	0	\N	\N	\N	ru	\N	\N
\.


--
-- Data for Name: idempotency_records; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.idempotency_records (key, scope, user_id, data, created_at) FROM stdin;
invoice:55e39d96f6e31a43b9d741f588e17a7d	invoice	1001	{"total": 50000, "currency": "RUB", "amount_rub": "500.00"}	2026-12-04 18:13:15.720888+00
invoice:429bd2f21a137c8c15aacb4f43336c6a	invoice	1002	{"total": 50, "currency": "XTR", "amount_rub": "100.00"}	2026-12-04 18:13:15.747126+00
invoice:9584bc9823c46322795bc0644a127b8d	invoice	1002	{"total": 25, "currency": "XTR", "amount_rub": "50.00"}	2026-12-04 18:13:15.78249+00
invoice:6aecc667fd0bfeb79900d1e6755f871d	invoice	1004	{"total": 25000, "currency": "RUB", "amount_rub": "250.00"}	2026-12-04 18:13:15.886309+00
\.


--
-- Data for Name: payment_transactions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payment_transactions (id, user_id, amount_rub, type, reason, created_at) FROM stdin;
1	1001	500.00	topup	telegram payment tg-charge-alena-500	2026-12-04 18:13:15.739516
2	1002	100.00	topup	stars payment stars-petr-100	2026-12-04 18:13:15.763086
3	1001	10.00	referral	referral of user 1002: stars payment stars-petr-100	2026-12-04 18:13:15.767217
4	1002	50.00	topup	stars payment stars-petr-50	2026-12-04 18:13:15.803563
5	1001	5.00	referral	referral of user 1002: stars payment stars-petr-50	2026-12-04 18:13:15.808599
6	1002	-50.00	deduction	refund of Stars payment stars-petr-50	2026-12-04 18:13:15.820261
7	1001	-5.00	deduction	referral reward taken back: stars payment stars-petr-50 refunded	2026-12-04 18:13:15.831497
8	1003	1234.50	topup	provider payment prov-fox-0001	2026-12-04 18:13:15.840401
9	1005	300.00	topup	telegram payment tg-charge-zoe-odd (reviewed by admin 1)	2026-12-04 18:13:15.848306
10	1006	100.00	topup	admin 1: подарок за отзыв	2026-12-04 18:13:15.861335
11	1001	-15.00	deduction	generation 4: demo-image-hd	2026-12-04 18:13:22.987499
\.


--
-- Data for Name: payments; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.payments (id, source, external_id, user_id, amount_rub, currency, total_amount, status, created_at, updated_at, review_reason) FROM stdin;
1	telegram	tg-charge-alena-500	1001	500.00	RUB	50000	credited	2026-12-04 18:13:15.739516+00	2026-12-04 18:13:15.739516+00	\N
2	stars	stars-petr-100	1002	100.00	XTR	50	credited	2026-12-04 18:13:15.763086+00	2026-12-04 18:13:15.763086+00	\N
3	stars	stars-petr-50	1002	50.00	XTR	25	refunded	2026-12-04 18:13:15.803563+00	2026-12-04 18:13:15.827642+00	\N
4	provider	prov-fox-0001	1003	1234.50	RUB	\N	credited	2026-12-04 18:13:15.840401+00	2026-12-04 18:13:15.840401+00	\N
6	telegram	tg-charge-zoe-odd	1005	300.00	RUB	30000	credited	2026-12-04 18:13:15.84634+00	2026-12-04 18:13:15.848306+00	no invoice with this payload; payload 'made-up-payload'; credited by admin 1
\.


--
-- Data for Name: processed_updates; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.processed_updates (update_id, received_at) FROM stdin;
1	2026-12-04 18:13:15.678823+00
2	2026-12-04 18:13:15.685819+00
3	2026-12-04 18:13:15.688963+00
4	2026-12-04 18:13:15.69273+00
5	2026-12-04 18:13:15.696918+00
6	2026-12-04 18:13:15.701523+00
7	2026-12-04 18:13:15.706534+00
8	2026-12-04 18:13:15.713116+00
9	2026-12-04 18:13:15.718363+00
10	2026-12-04 18:13:15.732272+00
12	2026-12-04 18:13:15.743344+00
13	2026-12-04 18:13:15.755634+00
15	2026-12-04 18:13:15.780209+00
16	2026-12-04 18:13:15.795219+00
18	2026-12-04 18:13:15.81524+00
20	2026-12-04 18:13:15.847607+00
21	2026-12-04 18:13:15.85903+00
22	2026-12-04 18:13:15.864968+00
23	2026-12-04 18:13:15.892273+00
24	2026-12-04 18:13:15.902339+00
25	2026-12-04 18:13:15.913963+00
26	2026-12-04 18:13:15.919544+00
27	2026-12-04 18:13:15.924779+00
28	2026-12-04 18:13:16.892283+00
29	2026-12-04 18:13:18.889569+00
30	2026-12-04 18:13:19.903798+00
31	2026-12-04 18:13:21.889735+00
32	2026-12-04 18:13:22.897444+00
33	2026-12-04 18:13:22.902161+00
34	2026-12-04 18:13:22.916245+00
35	2026-12-04 18:13:22.93429+00
36	2026-12-04 18:13:22.940039+00
37	2026-12-04 18:13:22.94292+00
38	2026-12-04 18:13:23.902111+00
39	2026-12-04 18:13:23.913152+00
40	2026-12-04 18:13:23.923267+00
41	2026-12-04 18:13:23.932821+00
42	2026-12-04 18:13:23.948474+00
43	2026-12-04 18:13:23.954727+00
44	2026-12-04 18:13:55.066973+00
45	2026-12-04 18:13:55.08063+00
46	2026-12-04 18:13:55.098813+00
47	2026-12-04 18:13:55.128709+00
48	2026-12-04 18:13:56.103115+00
49	2026-12-04 18:13:58.097969+00
50	2026-12-04 18:13:59.09708+00
51	2026-12-04 18:13:59.100023+00
52	2026-12-04 18:14:00.097236+00
53	2026-12-04 18:14:00.099884+00
54	2026-12-04 18:14:01.097717+00
55	2026-12-04 18:14:03.128561+00
56	2026-12-04 18:14:04.098882+00
57	2026-12-04 18:14:05.098576+00
58	2026-12-04 18:14:05.102409+00
59	2026-12-04 18:14:06.097622+00
60	2026-12-04 18:14:08.118874+00
61	2026-12-04 18:14:09.101483+00
62	2026-12-04 18:14:10.101466+00
63	2026-12-04 18:14:12.117973+00
64	2026-12-04 18:14:13.096426+00
65	2026-12-04 18:14:14.097118+00
66	2026-12-04 18:14:14.102746+00
67	2026-12-04 18:14:14.16396+00
68	2026-12-04 18:14:14.173203+00
69	2026-12-04 18:14:14.18161+00
70	2026-12-04 18:14:14.199589+00
71	2026-12-04 18:14:14.205244+00
72	2026-12-04 18:14:14.208659+00
73	2026-12-04 18:14:14.21598+00
74	2026-12-04 18:14:14.220907+00
75	2026-12-04 18:14:14.247145+00
76	2026-12-04 18:14:14.260461+00
77	2026-12-04 18:14:14.267312+00
78	2026-12-04 18:14:14.285212+00
79	2026-12-04 18:14:14.298728+00
80	2026-12-04 18:14:14.309097+00
\.


--
-- Data for Name: project_history; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.project_history (id, project_id, user_id, model_id, inputs, outputs, status, created_at) FROM stdin;
1	2	1006	demo-image	{"prompt": "горы", "aspect_ratio": "1:1"}	{"kind": "image", "text": null, "urls": [], "files": ["genbot.png"], "job_id": 8}	success	2026-12-04 18:14:03.130554
2	2	1006	demo-image	{"prompt": "озеро", "aspect_ratio": "1:1"}	{"kind": "image", "text": null, "urls": [], "files": ["genbot.png"], "job_id": 9}	success	2026-12-04 18:14:08.123987
3	2	1006	demo-text	{"prompt": "подпись к фото"}	{"kind": "text", "text": "«подпись к фото»\\n\\nРезультат легко проверить на практике. Результат легко проверить на практике. Хорошая история всегда начинается с вопроса.", "urls": [], "files": [], "job_id": 10}	success	2026-12-04 18:14:12.121028
\.


--
-- Data for Name: projects; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.projects (id, user_id, name, description, created_at, updated_at) FROM stdin;
3	1006	Черновики	\N	2026-12-04 18:13:56.114507	2026-12-04 18:13:56.114507
2	1006	Обложки 2025 📸	Для канала о путешествиях	2026-12-04 18:13:55.106809	2026-12-04 18:13:59.098378
\.


--
-- Data for Name: referral_rewards; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.referral_rewards (id, payment_source, payment_external_id, referrer_id, referred_id, amount_rub, status, unrecovered_rub, created_at, updated_at) FROM stdin;
1	stars	stars-petr-100	1001	1002	10.00	paid	0.00	2026-12-04 18:13:15.767217+00	2026-12-04 18:13:15.767217+00
2	stars	stars-petr-50	1001	1002	5.00	reversed	0.00	2026-12-04 18:13:15.808599+00	2026-12-04 18:13:15.831497+00
\.


--
-- Data for Name: referrals; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.referrals (id, referrer_id, referred_id, reward_rub, created_at) FROM stdin;
2	1001	1007	0.00	2026-12-04 18:13:15.707719
1	1001	1002	10.00	2026-12-04 18:13:15.703359
\.


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.users (user_id, username, first_name, last_name, created_at, updated_at) FROM stdin;
1003	fox_42	🦊	\N	2026-12-04 18:13:15.685819	2026-12-04 18:13:15.685819
1004	li_xiaolong	李小龍	\N	2026-12-04 18:13:15.688963	2026-12-04 18:13:15.688963
1006	maryam_k	مريم	👩‍🎨	2026-12-04 18:13:15.696918	2026-12-04 18:13:15.696918
1007	\N	Ева	\N	2026-12-04 18:13:15.706534	2026-12-04 18:13:15.706534
1	genbot_admin	Админ	\N	2026-12-04 18:13:15.713116	2026-12-04 18:13:15.713116
1001	alena_art	Алёна 🌸	Ковалёва	2026-12-04 18:13:15.678823	2026-12-04 18:13:22.897444
1002	\N	Пётр	Иванов-Щукин	2026-12-04 18:13:15.701523	2026-12-04 18:13:23.948474
1005	zoe_ob	Zoë 'Z' O’Brien	Ñúñez	2026-12-04 18:13:15.69273	2026-12-04 18:14:14.205244
\.


--
-- Data for Name: yoyo_lock; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.yoyo_lock (locked, ctime, pid) FROM stdin;
\.


--
-- Name: balance_reservations_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.balance_reservations_id_seq', 6, true);


--
-- Name: generation_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.generation_events_id_seq', 24, true);


--
-- Name: generation_jobs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.generation_jobs_id_seq', 13, true);


--
-- Name: payment_transactions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.payment_transactions_id_seq', 11, true);


--
-- Name: payments_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.payments_id_seq', 6, true);


--
-- Name: project_history_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.project_history_id_seq', 3, true);


--
-- Name: projects_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.projects_id_seq', 3, true);


--
-- Name: referral_rewards_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.referral_rewards_id_seq', 2, true);


--
-- Name: referrals_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.referrals_id_seq', 2, true);


--
-- Name: _yoyo_log _yoyo_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._yoyo_log
    ADD CONSTRAINT _yoyo_log_pkey PRIMARY KEY (id);


--
-- Name: _yoyo_migration _yoyo_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._yoyo_migration
    ADD CONSTRAINT _yoyo_migration_pkey PRIMARY KEY (migration_hash);


--
-- Name: _yoyo_version _yoyo_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._yoyo_version
    ADD CONSTRAINT _yoyo_version_pkey PRIMARY KEY (version);


--
-- Name: balance_reservations balance_reservations_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balance_reservations
    ADD CONSTRAINT balance_reservations_idempotency_key_key UNIQUE (idempotency_key);


--
-- Name: balance_reservations balance_reservations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balance_reservations
    ADD CONSTRAINT balance_reservations_pkey PRIMARY KEY (id);


--
-- Name: balances balances_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balances
    ADD CONSTRAINT balances_pkey PRIMARY KEY (user_id);


--
-- Name: conversation_state conversation_state_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversation_state
    ADD CONSTRAINT conversation_state_pkey PRIMARY KEY (user_id);


--
-- Name: free_usage free_usage_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.free_usage
    ADD CONSTRAINT free_usage_pkey PRIMARY KEY (user_id, day);


--
-- Name: generation_events generation_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_events
    ADD CONSTRAINT generation_events_pkey PRIMARY KEY (id);


--
-- Name: generation_jobs generation_jobs_draft_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_jobs
    ADD CONSTRAINT generation_jobs_draft_key_key UNIQUE (draft_key);


--
-- Name: generation_jobs generation_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_jobs
    ADD CONSTRAINT generation_jobs_pkey PRIMARY KEY (id);


--
-- Name: idempotency_records idempotency_records_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency_records
    ADD CONSTRAINT idempotency_records_pkey PRIMARY KEY (key);


--
-- Name: payment_transactions payment_transactions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_transactions
    ADD CONSTRAINT payment_transactions_pkey PRIMARY KEY (id);


--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);


--
-- Name: payments payments_source_external_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_source_external_id_key UNIQUE (source, external_id);


--
-- Name: processed_updates processed_updates_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.processed_updates
    ADD CONSTRAINT processed_updates_pkey PRIMARY KEY (update_id);


--
-- Name: project_history project_history_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.project_history
    ADD CONSTRAINT project_history_pkey PRIMARY KEY (id);


--
-- Name: projects projects_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_pkey PRIMARY KEY (id);


--
-- Name: referral_rewards referral_rewards_payment_source_payment_external_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referral_rewards
    ADD CONSTRAINT referral_rewards_payment_source_payment_external_id_key UNIQUE (payment_source, payment_external_id);


--
-- Name: referral_rewards referral_rewards_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referral_rewards
    ADD CONSTRAINT referral_rewards_pkey PRIMARY KEY (id);


--
-- Name: referrals referrals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_pkey PRIMARY KEY (id);


--
-- Name: referrals referrals_referrer_id_referred_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_referrer_id_referred_id_key UNIQUE (referrer_id, referred_id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (user_id);


--
-- Name: yoyo_lock yoyo_lock_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);


--
-- Name: idx_balance_reservations_held; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_balance_reservations_held ON public.balance_reservations USING btree (created_at) WHERE (status = 'held'::text);


--
-- Name: idx_balance_reservations_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_balance_reservations_user_id ON public.balance_reservations USING btree (user_id);


--
-- Name: idx_generation_events_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_events_created_at ON public.generation_events USING btree (created_at DESC);


--
-- Name: idx_generation_events_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_events_status ON public.generation_events USING btree (status);


--
-- Name: idx_generation_events_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_events_user_id ON public.generation_events USING btree (user_id);


--
-- Name: idx_generation_jobs_active_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_jobs_active_user ON public.generation_jobs USING btree (user_id) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text]));


--
-- Name: idx_generation_jobs_queued; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_jobs_queued ON public.generation_jobs USING btree (id) WHERE (status = 'queued'::text);


--
-- Name: idx_generation_jobs_running; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_jobs_running ON public.generation_jobs USING btree (heartbeat_at) WHERE (status = 'running'::text);


--
-- Name: idx_generation_jobs_task_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_jobs_task_id ON public.generation_jobs USING btree (task_id);


--
-- Name: idx_generation_jobs_untold; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_jobs_untold ON public.generation_jobs USING btree (finished_at) WHERE ((NOT notified) AND (status = ANY (ARRAY['succeeded'::text, 'failed'::text, 'timeout'::text, 'cancelled'::text])));


--
-- Name: idx_generation_jobs_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_generation_jobs_user_id ON public.generation_jobs USING btree (user_id, created_at DESC);


--
-- Name: idx_idempotency_records_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_idempotency_records_created_at ON public.idempotency_records USING btree (created_at);


--
-- Name: idx_payments_unsettled; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_payments_unsettled ON public.payments USING btree (updated_at) WHERE (status = ANY (ARRAY['review'::text, 'refunding'::text]));


--
-- Name: idx_payments_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_payments_user_id ON public.payments USING btree (user_id, created_at DESC);


--
-- Name: idx_processed_updates_received_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_processed_updates_received_at ON public.processed_updates USING btree (received_at);


--
-- Name: idx_referral_rewards_referred_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_referral_rewards_referred_id ON public.referral_rewards USING btree (referred_id);


--
-- Name: balance_reservations balance_reservations_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balance_reservations
    ADD CONSTRAINT balance_reservations_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: balances balances_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.balances
    ADD CONSTRAINT balances_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: conversation_state conversation_state_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversation_state
    ADD CONSTRAINT conversation_state_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id) ON DELETE CASCADE;


--
-- Name: free_usage free_usage_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.free_usage
    ADD CONSTRAINT free_usage_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: generation_events generation_events_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_events
    ADD CONSTRAINT generation_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: generation_jobs generation_jobs_reservation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_jobs
    ADD CONSTRAINT generation_jobs_reservation_id_fkey FOREIGN KEY (reservation_id) REFERENCES public.balance_reservations(id);


--
-- Name: generation_jobs generation_jobs_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.generation_jobs
    ADD CONSTRAINT generation_jobs_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: payment_transactions payment_transactions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_transactions
    ADD CONSTRAINT payment_transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: payments payments_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: project_history project_history_project_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.project_history
    ADD CONSTRAINT project_history_project_id_fkey FOREIGN KEY (project_id) REFERENCES public.projects(id) ON DELETE CASCADE;


--
-- Name: project_history project_history_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.project_history
    ADD CONSTRAINT project_history_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: projects projects_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(user_id);


--
-- Name: referral_rewards referral_rewards_referred_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referral_rewards
    ADD CONSTRAINT referral_rewards_referred_id_fkey FOREIGN KEY (referred_id) REFERENCES public.users(user_id);


--
-- Name: referral_rewards referral_rewards_referrer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referral_rewards
    ADD CONSTRAINT referral_rewards_referrer_id_fkey FOREIGN KEY (referrer_id) REFERENCES public.users(user_id);


--
-- Name: referrals referrals_referred_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_referred_id_fkey FOREIGN KEY (referred_id) REFERENCES public.users(user_id);


--
-- Name: referrals referrals_referrer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_referrer_id_fkey FOREIGN KEY (referrer_id) REFERENCES public.users(user_id);


--
-- PostgreSQL database dump complete
--

\unrestrict WUoSQTtwPpo9mKZCS56uLqyNuOncCwEVrZ4Jiz2J6VwU0HoieDPRdkR2hGZuAGO

