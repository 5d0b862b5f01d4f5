INSERT INTO Asistent_systemlog (timestamp, level, logger_name, message, module, `function`, line, process_id,
                                thread_id, extra_data)
SELECT TIMESTAMP('@NOW@') - INTERVAL @DAYS@ DAY + INTERVAL (seq * @STEP@) MICROSECOND,
       CASE WHEN seq % 1000 IN (7, 13, 21, 33) THEN 'ERROR' WHEN seq % 100 >= 95 THEN 'WARNING'
            WHEN seq % 100 >= 90 THEN 'DEBUG' ELSE 'INFO' END,
       IF(seq % 100 < 60, 'django.request', 'Asistent.gigachat'),
       CASE
         WHEN seq % 1000 = 7 THEN 'GigaChat: HTTPError: 429 Client Error: Too Many Requests for url: https://gigachat.devices.sberbank.ru/api/v1/chat/completions'
         WHEN seq % 1000 = 13 THEN CONCAT('GigaChat: Таймаут запроса к модели GigaChat-Pro (30 с); request_id=', MD5(seq))
         WHEN seq % 1000 = 21 THEN CONCAT('❌ GIGAChat error: <html><head><title>502 Bad Gateway</title></head></html> ', MD5(seq))
         WHEN seq % 1000 = 33 THEN CONCAT('generate_and_save_image: GigaChat вернул пустой путь; article_id=', seq)
         WHEN seq % 100 < 60 THEN CONCAT('GET /articles/', seq % 50000, '/?page=', seq % 500, ' 200 in ', seq % 900,
                                         ' ms; user_id=', seq % 7000, '; session=', MD5(seq))
         WHEN seq % 100 < 80 THEN CONCAT('GigaChat: ответ модели GigaChat-Pro за ', seq % 5000, ' мс, токенов: ',
                                         seq % 3000, '; request_id=', MD5(seq))
         WHEN seq % 100 < 90 THEN CONCAT('Изображение сохранено: media/ai_images/article_', seq % 50000,
                                         '.jpg (размер: ', seq % 900, ' КБ)')
         WHEN seq % 100 < 95 THEN CONCAT('generate_and_save_image: prompt="Нарисуй иллюстрацию к статье ',
                                         seq % 50000, '", model=GigaChat-Pro')
         WHEN seq % 100 < 97 THEN CONCAT('Медленный ответ базы: ', seq % 3000, ' мс; query_id=', MD5(seq))
         ELSE CONCAT('Пользователь user', seq % 7000, ' пополнил баланс на ', 100 + seq % 900, ' ₽')
       END,
       'views', 'handle', seq % 700, 1000 + seq % 8, seq, '{}'
FROM seq_@LO@_to_@HI@
