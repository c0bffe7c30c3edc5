import { memo } from 'react';
import type { NoticeView } from '../../sync/app-api/contract.js';
import { noticeText } from '../format/notices.js';
import { formatFull } from '../format/time.js';
import { useLanguage } from '../i18n/use-language.js';

/** A change of membership or name, between the messages. */
export const NoticeItem = memo(function NoticeItem({ notice }: { notice: NoticeView }) {
  useLanguage(); // memo() keeps equal props from re-rendering: this re-renders it when the language changes
  return (
    <div className="membership-notice" role="note" title={formatFull(notice.at)}>
      <span>{noticeText(notice)}</span>
    </div>
  );
});
